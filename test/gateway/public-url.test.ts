/**
 * Behind a TLS terminator the gateway listens on plain HTTP while `publicUrl` says users see https:
 * the upstream is told the scheme and host users actually use (`X-Forwarded-Proto: https`,
 * `X-Forwarded-Host: gw.example.com`), so upstreams that build absolute URLs or enforce https from
 * those headers neither send users to http:// nor loop.
 */ import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      raw.publicUrl = 'https://gw.example.com';
    },
  });
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
