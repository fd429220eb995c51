/** Minimal HTML for the hosted UI and the emulated external provider. Everything dynamic is escaped. */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;box-sizing:border-box;margin:.3rem 0}input,button{padding:.5rem}
.error{color:#b00020}.note{color:#555;font-size:.85rem}</style></head>
<body>${body}</body></html>`;
}

export interface SignInFormOptions {
  heading: string;
  /** Form action (path and query), posted back with the same authorize parameters. */
  action: string;
  csrf?: string;
  error?: string;
  note?: string;
}

/** A sign-in form that posts `username` and `password` (plus `_csrf` when given). */
export function signInForm(o: SignInFormOptions): string {
  return page(
    o.heading,
    `<h1>${escapeHtml(o.heading)}</h1>
${o.error ? `<p class="error" id="loginErrorMessage" role="alert">${escapeHtml(o.error)}</p>` : ''}
<form method="post" action="${escapeHtml(o.action)}" name="signInForm">
${o.csrf ? `<input type="hidden" name="_csrf" value="${escapeHtml(o.csrf)}">` : ''}
<label for="signInFormUsername">Username</label>
<input id="signInFormUsername" name="username" type="text" autocomplete="username" required autofocus>
<label for="signInFormPassword">Password</label>
<input id="signInFormPassword" name="password" type="password" autocomplete="current-password" required>
<button type="submit" name="signInSubmitButton">Sign in</button>
</form>
${o.note ? `<p class="note">${escapeHtml(o.note)}</p>` : ''}`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p class="error" id="errorMessage">${escapeHtml(message)}</p>`);
}
