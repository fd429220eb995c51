/**
 * The error catalogue's rendering: prefersJson and wantsJsonError choose JSON for API clients and
 * HTML for browsers (form posts included); renderError gives every kind its status, title, request id
 * and no-store, as HTML or JSON; 401 carries WWW-Authenticate; 403 names app, user and who to ask,
 * escaped; login errors offer "start again" and never unsafe link targets; an IdP error is echoed only
 * as an OAuth error code; HEAD gets headers only. Request ids are short, URL-safe and random, and an
 * incoming X-Request-Id is honoured only from a trusted peer and only when well-formed.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ErrorCode as ErrorCodes, gatewayError, type ErrorCode } from '../../src/http/error-catalogue';
import { isSafeLinkTarget, renderError } from '../../src/http/error-page';
import { prefersJson, wantsJsonError } from '../../src/http/negotiate';
import { newRequestId, requestIdFor } from '../../src/http/request-id';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const browser = (method = 'GET', extra: Record<string, string> = {}) =>
  new Request('http://gw.example/x', { method, headers: { accept: BROWSER_ACCEPT, ...extra } });
const api = (headers: Record<string, string> = { accept: 'application/json' }, method = 'GET') => new Request('http://gw.example/x', { method, headers });

describe('prefersJson (401 instead of a redirect)', () => {
  it('is false for a browser navigation', () => {
    expect(prefersJson(browser())).toBe(false);
    expect(prefersJson(new Request('http://gw.example/', { headers: { accept: '*/*' } }))).toBe(false);
  });
  it('is true for Accept: application/json, X-Requested-With, and any method but GET/HEAD', () => {
    expect(prefersJson(api())).toBe(true);
    expect(prefersJson(api({ accept: 'application/problem+json' }))).toBe(true);
    expect(prefersJson(api({ accept: 'text/html;q=0.5, application/json' }))).toBe(true);
    expect(prefersJson(api({ accept: 'text/html, application/json;q=0.5' }))).toBe(false);
    expect(prefersJson(browser('GET', { 'x-requested-with': 'XMLHttpRequest' }))).toBe(true);
    expect(prefersJson(browser('POST'))).toBe(true);
    expect(prefersJson(browser('HEAD'))).toBe(false);
  });
});

describe('wantsJsonError', () => {
  it('gives a browser form post HTML, but a bare API POST JSON', () => {
    expect(wantsJsonError(browser('POST'))).toBe(false);
    expect(wantsJsonError(api({}, 'POST'))).toBe(true);
    expect(wantsJsonError(api({ accept: '*/*' }, 'DELETE'))).toBe(true);
  });
});

describe('renderError over the catalogue', () => {
  const codes = Object.keys(ERROR_CATALOGUE) as ErrorCode[];
  const pages = codes.filter((c) => !ERROR_CATALOGUE[c].json);

  it('has one entry per exported code constant', () => {
    expect(codes.sort()).toEqual(Object.values(ErrorCodes).sort());
  });

  it.each(pages)('%s: HTML for browsers with status, title, request id, no-store', async (code) => {
    const res = renderError(browser(), gatewayError(code, { requestId: 'rid-123', app: 'Wiki', retryHref: '/_auth/login?rd=%2Fwiki' }));
    expect(res.status).toBe(ERROR_CATALOGUE[code].status);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-request-id')).toBe('rid-123');
    const html = await res.text();
    expect(html).toContain('<code>rid-123</code>');
    expect(html).toContain(`Error ${ERROR_CATALOGUE[code].status}`);
    expect(html).toContain(`<h1>${ERROR_CATALOGUE[code].title}</h1>`);
    expect(html).not.toMatch(/<script|https?:\/\/(?!gw\.example)|\bat .*\(.*:\d+:\d+\)/); // no scripts, no external assets, no stack
  });

  it.each(codes)('%s: JSON for API clients (and always for JSON-only entries)', async (code) => {
    const forBrowser = ERROR_CATALOGUE[code].json === true;
    const res = renderError(forBrowser ? browser() : api(), gatewayError(code, { requestId: 'rid-9' }));
    expect(res.status).toBe(ERROR_CATALOGUE[code].status);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description', 'request_id']);
    expect(body.request_id).toBe('rid-9');
    expect(body.error).toBe(code);
  });

  it("a status outside the entry's alternatives is ignored", () => {
    expect(gatewayError('idp_unavailable', { requestId: 'r', status: 504 }).status).toBe(504);
    expect(gatewayError('idp_unavailable', { requestId: 'r', status: 200 }).status).toBe(503);
    expect(gatewayError('no_app', { requestId: 'r', status: 403 }).status).toBe(403);
  });

  it('401 carries WWW-Authenticate: Bearer; an explicit value wins', () => {
    expect(renderError(api(), gatewayError('unauthorized', { requestId: 'r' })).headers.get('www-authenticate')).toBe('Bearer');
    const res = renderError(api(), { ...gatewayError('unauthorized', { requestId: 'r' }), wwwAuthenticate: 'Bearer error="invalid_token"' });
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(renderError(api(), gatewayError('access_denied', { requestId: 'r' })).headers.get('www-authenticate')).toBeNull();
  });

  it('403 names the app, the user and who to ask, escaped', async () => {
    const html = await renderError(
      browser(),
      gatewayError('access_denied', {
        requestId: 'r',
        app: 'Payroll <b>',
        user: 'alice"><script>alert(1)</script>',
        contact: 'it-help@example.com',
      }),
    ).text();
    expect(html).toContain('Payroll &lt;b&gt;');
    expect(html).toContain('alice&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<a href="mailto:it-help@example.com">');
  });

  it('login errors offer a "start again" link; unsafe link targets are not shown', async () => {
    const ok = await renderError(browser(), gatewayError('login_expired', { requestId: 'r', retryHref: '/_auth/login?rd=%2Fa&x=1' })).text();
    expect(ok).toContain('href="/_auth/login?rd=%2Fa&amp;x=1">Start again</a>');
    for (const bad of ['javascript:alert(1)', '//evil.example/', '/\\evil.example', ' /x', 'data:text/html,x']) {
      const html = await renderError(browser(), gatewayError('login_expired', { requestId: 'r', retryHref: bad })).text();
      expect(html, bad).not.toContain('Start again</a>');
      expect(isSafeLinkTarget(bad), bad).toBe(false);
    }
  });

  it('echoes an IdP error only as an OAuth error code', async () => {
    const good = await renderError(api(), gatewayError('idp_error', { requestId: 'r', detail: 'access_denied' })).json();
    expect((good as { error_description: string }).error_description).toContain('(access_denied)');
    const bad = await renderError(api(), gatewayError('idp_error', { requestId: 'r', detail: 'Call +1-555 now <b>' })).json();
    expect((bad as { error_description: string }).error_description).toContain('(unknown_error)');
  });

  it('HEAD gets headers only; extra headers (clearing cookies) are kept', async () => {
    const extra = new Headers();
    extra.append('set-cookie', 'gw_login_abc=; Max-Age=0; Path=/');
    const res = renderError(browser('HEAD'), gatewayError('login_expired', { requestId: 'r', headers: extra }));
    expect(await res.text()).toBe('');
    expect(res.headers.getSetCookie()).toEqual(['gw_login_abc=; Max-Age=0; Path=/']);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('request ids', () => {
  it('are short, URL-safe and random', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newRequestId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
  it('honours an incoming X-Request-Id only from a trusted peer, and only when well-formed', () => {
    const h = new Headers({ 'x-request-id': 'lb-abc.123' });
    expect(requestIdFor(h, true)).toBe('lb-abc.123');
    expect(requestIdFor(h, false)).not.toBe('lb-abc.123');
    expect(requestIdFor(new Headers({ 'x-request-id': 'evil id <script>' }), true)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(requestIdFor(new Headers({ 'x-request-id': 'x'.repeat(200) }), true)).toHaveLength(16);
  });
});
