/**
 * Error responses: a small readable HTML page for browsers, JSON for programs. Never a stack trace,
 * never cached, every value escaped, and always the request id so the user can quote it.
 */
import { wantsJsonError } from './negotiate';

export interface ErrorPageOptions {
  status: number;
  /** Machine-readable code: the JSON `error` field. */
  code: string;
  title: string;
  /** What happened, in a sentence for a person. */
  message: string;
  requestId: string;
  /** What to do next, in a sentence. */
  action?: string;
  /** The app's display name. */
  app?: string;
  /** Who to ask: an email address, an http(s) URL, or plain text. */
  contact?: string;
  /** Who the user is signed in as (shown on 403 so they can tell if they used the wrong account). */
  user?: string;
  wwwAuthenticate?: string;
  /** A same-origin path (or http(s) URL) to retry or start again; anything else is not shown. */
  retryHref?: string;
  retryLabel?: string;
  /** Extra response headers, e.g. a Set-Cookie that clears a login-state cookie. */
  headers?: Headers;
  /** Answer in JSON whatever Accept says (the 401 that replaces a sign-in redirect for API clients). */
  json?: boolean;
}

export interface ErrorJson {
  error: string;
  error_description: string;
  request_id: string;
}

export function renderError(req: Request, opts: ErrorPageOptions): Response {
  const headers = new Headers(opts.headers);
  headers.set('cache-control', 'no-store');
  headers.set('x-content-type-options', 'nosniff');
  headers.set('x-request-id', opts.requestId);
  const wwwAuthenticate = opts.wwwAuthenticate ?? (opts.status === 401 ? 'Bearer' : undefined);
  if (wwwAuthenticate) headers.set('www-authenticate', wwwAuthenticate);

  let body: string;
  if (opts.json || wantsJsonError(req)) {
    const json: ErrorJson = { error: opts.code, error_description: opts.message, request_id: opts.requestId };
    body = JSON.stringify(json);
    headers.set('content-type', 'application/json; charset=utf-8');
  } else {
    body = errorHtml(opts);
    headers.set('content-type', 'text/html; charset=utf-8');
    headers.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    headers.set('referrer-policy', 'no-referrer');
  }
  return new Response(req.method === 'HEAD' ? null : body, { status: opts.status, headers });
}

export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/** Pure: only same-origin paths and http(s) URLs may become a link (no `javascript:`, no `//host`). */
export function isSafeLinkTarget(href: string): boolean {
  if (/[\u0000-\u0020\\]/.test(href)) return false;
  if (href.startsWith('/')) return !href.startsWith('//');
  return /^https?:\/\/[^/]/i.test(href);
}

const EMAIL = /^[^\s@<>"']+@[^\s@<>"']+\.[^\s@<>"']+$/;

function contactHtml(contact: string): string {
  if (EMAIL.test(contact)) return `<a href="mailto:${escapeHtml(contact)}">${escapeHtml(contact)}</a>`;
  if (/^https?:\/\//i.test(contact) && isSafeLinkTarget(contact)) {
    return `<a href="${escapeHtml(contact)}">${escapeHtml(contact)}</a>`;
  }
  return escapeHtml(contact);
}

/** The look of the gateway's own pages (also the password form's challenge step). */
export const PAGE_STYLE = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
main{max-width:36rem;margin:12vh auto;padding:2rem 2.25rem;background:#fff;border-radius:10px;box-shadow:0 1px 4px rgba(0,0,0,.12)}
.status{color:#6b7280;font-size:.9rem;margin:0}h1{font-size:1.5rem;margin:.25rem 0 1rem}
a.button{display:inline-block;margin-top:.5rem;padding:.5rem 1rem;background:#2f5bea;color:#fff;border-radius:6px;text-decoration:none}
.meta{margin-top:1.75rem;color:#6b7280;font-size:.85rem}code{font:.85rem ui-monospace,monospace;background:#f0f1f4;padding:.1rem .3rem;border-radius:4px}`;

function errorHtml(o: ErrorPageOptions): string {
  const lines: string[] = [`<p>${escapeHtml(o.message)}</p>`];
  if (o.user) lines.push(`<p>Signed in as <strong>${escapeHtml(o.user)}</strong>.</p>`);
  if (o.action) lines.push(`<p>${escapeHtml(o.action)}</p>`);
  if (o.contact) lines.push(`<p>Contact: ${contactHtml(o.contact)}</p>`);
  if (o.retryHref && isSafeLinkTarget(o.retryHref)) {
    lines.push(`<p><a class="button" href="${escapeHtml(o.retryHref)}">${escapeHtml(o.retryLabel ?? 'Try again')}</a></p>`);
  }
  const app = o.app ? `Application: ${escapeHtml(o.app)} · ` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(o.title)}</title><style>${PAGE_STYLE}</style></head>
<body><main>
<p class="status">Error ${o.status}</p>
<h1>${escapeHtml(o.title)}</h1>
${lines.join('\n')}
<p class="meta">${app}Request id: <code>${escapeHtml(o.requestId)}</code> (quote it when you report this)</p>
</main></body></html>
`;
}
