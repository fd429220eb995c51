/**
 * The demo upstream: an app that shows what it received. JSON `{ method, path, query, headers }` for
 * `Accept: application/json`, else a readable page with the same facts and who the gateway says you
 * are. Web APIs only (Hono), so it runs under Node and workerd alike.
 */
import { Hono } from 'hono';
import { escapeHtml } from '../http/error-page';
import { acceptsJsonOverHtml } from '../http/negotiate';

export interface DemoUpstreamOptions {
  /** The signed assertion header the gateway sends; the page reports whether it arrived. */
  assertionHeader?: string;
}

export interface DemoEcho {
  method: string;
  /** Raw path as received (still percent-encoded). */
  path: string;
  /** Raw query string without '?', as received ('' when none). */
  query: string;
  /** Every request header, lower-case names. */
  headers: Record<string, string>;
}

const LINKS: Array<[href: string, label: string]> = [
  ['/', 'Home (any signed-in user)'],
  ['/public/', 'Public (no sign-in needed)'],
  ['/admin/', 'Admin (group admins only)'],
  ['/partners/', 'Partners'],
  ['/api/', 'API (needs a bearer access token; a browser gets 401)'],
  ['/site/login', "Publishing site: the site's own login form"],
  ['/portal/', 'User portal (staff; a disabled user is cut off within 15 s)'],
  ['/broker/', 'Partner extranet (federated: sign in as erin at PartnerIdP)'],
  ['/spa-api/', 'SPA API (CORS for http://localhost:5173)'],
  ['/_auth/me', 'Who am I (gateway JSON)'],
  ['/_auth/logout', 'Sign out'],
];

/** Long credential-like values are shortened on the page (the JSON view shows them whole). */
const SHORTENED = new Set(['authorization', 'cookie', 'x-auth-assertion']);

export function echoOf(req: Request): DemoEcho {
  const url = new URL(req.url);
  const headers: Record<string, string> = {};
  for (const [name, value] of req.headers) headers[name] = value;
  return { method: req.method, path: url.pathname, query: url.search.replace(/^\?/, ''), headers };
}

export function createDemoUpstreamApp(opts: DemoUpstreamOptions = {}): Hono {
  const assertionHeader = (opts.assertionHeader ?? 'X-Auth-Assertion').toLowerCase();
  const app = new Hono();
  // The publishing site's own login form (docs/recipes/password-form.md). The gateway owns the
  // sign-in: the page fetches a CSRF token from /_auth/password and posts the form there.
  app.get('/site/login', (c) => c.html(siteLoginPage(c.req.query('rd')), 200, { 'cache-control': 'no-store' }));
  app.all('*', (c) => {
    const echo = echoOf(c.req.raw);
    if (acceptsJsonOverHtml(c.req.header('accept') ?? null)) {
      return c.json(echo, 200, { 'cache-control': 'no-store' });
    }
    return c.html(demoPage(echo, assertionHeader), 200, { 'cache-control': 'no-store' });
  });
  return app;
}

function decoded(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value); // identity headers are percent-encoded for non-ASCII
  } catch {
    return value;
  }
}

function demoPage(echo: DemoEcho, assertionHeader: string): string {
  const h = echo.headers;
  const user = decoded(h['x-auth-user']);
  const email = decoded(h['x-auth-email']);
  const groups = (h['x-auth-groups'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((g) => decoded(g) ?? g);
  const who = user
    ? `<p>You are <strong>${escapeHtml(user)}</strong>${email ? ` (${escapeHtml(email)})` : ''}.</p>
<p>Groups: ${groups.length > 0 ? groups.map((g) => `<code>${escapeHtml(g)}</code>`).join(' ') : '<em>none</em>'}</p>`
    : '<p>No identity headers arrived: this page was reached without signing in (a public path) or not through the gateway.</p>';
  const assertion =
    h[assertionHeader] !== undefined
      ? `<p>Signed assertion header <code>${escapeHtml(assertionHeader)}</code>: present.</p>`
      : `<p>Signed assertion header <code>${escapeHtml(assertionHeader)}</code>: absent.</p>`;
  const rows = Object.entries(h)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => {
      const shown = SHORTENED.has(name) && value.length > 40 ? `${value.slice(0, 24)}… (${value.length} chars)` : value;
      return `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(shown)}</td></tr>`;
    })
    .join('\n');
  const links = LINKS.map(([href, label]) => `<li><a href="${href}">${escapeHtml(label)}</a></li>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Demo app · ${escapeHtml(echo.path)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{white-space:nowrap;font-weight:600}td{word-break:break-all;font-family:ui-monospace,monospace;font-size:.85rem}code{background:#f0f1f4;padding:0 .25rem}</style>
</head><body>
<h1>Demo app</h1>
${who}
${assertion}
<h2>Try</h2>
<ul>
${links}
</ul>
<h2>This request</h2>
<p><code>${escapeHtml(echo.method)} ${escapeHtml(echo.path)}${echo.query ? `?${escapeHtml(echo.query)}` : ''}</code></p>
<h2>Headers received</h2>
<table>
${rows}
</table>
</body></html>
`;
}

/** Only same-site paths return here; the gateway validates `rd` again anyway. */
function siteReturnTo(rd: string | undefined): string {
  return rd?.startsWith('/') && !rd.startsWith('//') && !rd.startsWith('/\\') ? rd : '/site/';
}

export function siteLoginPage(rd?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in · Publishing site</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;color:#1d2330}
label{display:block;margin:.6rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}button{margin-top:1rem;padding:.4rem 1rem}</style>
</head><body>
<h1>Publishing site</h1>
<p>Sign in with your account (the gateway checks it with Cognito).</p>
<form id="login" method="post" action="/_auth/password">
<input type="hidden" name="csrf" id="csrf" value="">
<input type="hidden" name="rd" value="${escapeHtml(siteReturnTo(rd))}">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="sign-in" disabled>Sign in</button>
</form>
<script>
fetch('/_auth/password', { headers: { accept: 'application/json' }, credentials: 'same-origin' })
  .then((r) => r.json())
  .then((j) => { document.getElementById('csrf').value = j.csrf; document.getElementById('sign-in').disabled = false; });
</script>
</body></html>
`;
}
