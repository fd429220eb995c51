/**
 * Over HTTP: an app's `cors` makes the gateway answer preflights before authentication (an API's
 * preflight no longer gets 401), while the actual requests are still decided by policy and carry the
 * CORS headers on every answer; origins not listed get no grant; `*` never goes with credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { rawRequest } from '../helpers/raw';
import { DEMO_CONFIG, startStack, type Stack } from '../helpers/stack';
import { machineToken } from '../helpers/tokens';

const SPA = 'https://spa.example.com';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      raw.apps.find((a: { id: string }) => a.id === 'demo').cors = {
        allowedOrigins: [SPA],
        allowCredentials: true,
        exposedHeaders: ['X-Request-Id'],
        maxAge: '1h',
      };
    },
  });
});
afterAll(() => stack?.close());

describe('CORS per app', () => {
  it('answers an allowed preflight with 204 and the grant, without any credential', async () => {
    const res = await rawRequest(stack.url, '/api/things', {
      method: 'OPTIONS',
      headers: { origin: SPA, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': SPA,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'Authorization, Content-Type, X-Requested-With',
      'access-control-max-age': '3600',
    });
  });
  it('grants nothing to another origin, an unlisted method or header', async () => {
    for (const headers of <Record<string, string>[]>[
      { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      { origin: SPA, 'access-control-request-method': 'PROPFIND' },
      { origin: SPA, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-secret' },
    ]) {
      const res = await rawRequest(stack.url, '/api/things', { method: 'OPTIONS', headers });
      expect([res.status, res.headers['access-control-allow-origin']]).toEqual([204, undefined]);
    }
  });
  it('actual requests are still decided by policy, and every answer carries the CORS headers', async () => {
    const anon = await rawRequest(stack.url, '/api/things', { headers: { origin: SPA, accept: 'application/json' } });
    expect([anon.status, anon.headers['access-control-allow-origin'], anon.headers['access-control-allow-credentials']]).toEqual([401, SPA, 'true']);
    const token = await machineToken(stack.emulator.hostedUiBase, 'demo-api/read');
    const ok = await rawRequest(stack.url, '/api/things', { headers: { origin: SPA, accept: 'application/json', authorization: `Bearer ${token}` } });
    expect([ok.status, ok.headers['access-control-allow-origin'], ok.headers['access-control-expose-headers'], ok.headers.vary]).toEqual([
      200,
      SPA,
      'X-Request-Id',
      'Origin',
    ]);
    const evil = await rawRequest(stack.url, '/api/things', {
      headers: { origin: 'https://evil.example', accept: 'application/json', authorization: `Bearer ${token}` },
    });
    expect([evil.status, evil.headers['access-control-allow-origin']]).toEqual([200, undefined]);
  });
  it('refuses allowedOrigins "*" with allowCredentials', () => {
    // The demo config's own ${VAR} interpolation, written as text.
    const upstreamLine = `    upstream: $\{DEMO_UPSTREAM_URL:-http://127.0.0.1:9080}`;
    const text = DEMO_CONFIG.replace(
      `${upstreamLine}\n    policies:\n      - name: public-pages`,
      `${upstreamLine}\n    cors: { allowedOrigins: ["*"], allowCredentials: true }\n    policies:\n      - name: public-pages`,
    );
    expect(() => loadConfig(text, {})).toThrow(/cors: allowedOrigins "\*" cannot be used with allowCredentials: true/);
  });
});
