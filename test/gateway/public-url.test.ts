/**
 * behind a TLS terminator the gateway listens on plain HTTP and `publicUrl` says the origin
 * users see is https. The gateway itself uses that origin (callback URL, Secure cookies), but what it
 * tells the upstream comes from the socket: `X-Forwarded-Proto: http`. Upstreams that build absolute
 * URLs or enforce https from that header then redirect users to http:// or loop.
 * (A terminator that is in trustedProxies AND sends X-Forwarded-Proto hides this; many do not send it.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ edit: (raw) => { raw.publicUrl = 'https://gw.example.com'; } });
});
afterAll(() => stack?.close());

describe('publicUrl https, gateway on plain HTTP', () => {
  it('forwards X-Forwarded-Proto https, the scheme users actually use', async () => {
    const res = await rawRequest(stack.url, '/public/hello', { headers: { host: 'gw.example.com', accept: 'application/json' } });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(seen.headers['x-forwarded-host']).toBe('gw.example.com');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
  });
});
