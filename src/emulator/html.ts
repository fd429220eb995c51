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
  /** Federated sign-in buttons (links that start the provider's sign-in), as managed login shows them. */
  providers?: Array<{ name: string; href: string }>;
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
${(o.providers ?? []).map((p) => `<a class="idp-button" data-provider="${escapeHtml(p.name)}" href="${escapeHtml(p.href)}">Continue with ${escapeHtml(p.name)}</a>`).join('\n')}
${o.note ? `<p class="note">${escapeHtml(o.note)}</p>` : ''}`,
  );
}

export interface ChallengeFormOptions {
  challenge: 'NEW_PASSWORD_REQUIRED' | 'SOFTWARE_TOKEN_MFA' | 'SMS_MFA';
  action: string;
  csrf: string;
  session: string;
  error?: string;
}

/** The hosted UI's second step: "set a new password" (`new_password`) or the authenticator code (`code`). */
export function challengeForm(o: ChallengeFormOptions): string {
  const newPassword = o.challenge === 'NEW_PASSWORD_REQUIRED';
  const heading = newPassword
    ? 'Change your password'
    : o.challenge === 'SMS_MFA'
      ? 'Enter the code we sent to your phone'
      : 'Enter the code from your authenticator app';
  const fields = newPassword
    ? `<label for="newPassword">New password</label>
<input id="newPassword" name="new_password" type="password" autocomplete="new-password" required autofocus>`
    : `<label for="totpCode">Code</label>
<input id="totpCode" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required autofocus>`;
  return page(
    heading,
    `<h1>${escapeHtml(heading)}</h1>
${o.error ? `<p class="error" id="loginErrorMessage" role="alert">${escapeHtml(o.error)}</p>` : ''}
<form method="post" action="${escapeHtml(o.action)}" name="${newPassword ? 'newPasswordForm' : 'mfaForm'}">
<input type="hidden" name="_csrf" value="${escapeHtml(o.csrf)}">
<input type="hidden" name="session" value="${escapeHtml(o.session)}">
<input type="hidden" name="challenge" value="${o.challenge}">
${fields}
<button type="submit">${newPassword ? 'Send' : 'Sign in'}</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p class="error" id="errorMessage">${escapeHtml(message)}</p>`);
}
