/**
 * Over HTTP: method-override headers and other products' identity headers never reach an upstream
 * (defaults plus `untrustedHeaders`), unless an app names one in `trustClientHeaders`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw';
import { SPOOFED_IDENTITY_HEADERS } from '../helpers/spoofing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      raw.untrustedHeaders = { names: ['X-Tenant-Override'], prefixes: ['X-Legacy-Auth-'] };
      raw.apps.unshift({
        id: 'webdav',
        upstream: raw.apps[0].upstream,
        pathPrefix: '/dav',
        trustClientHeaders: ['X-HTTP-Method-Override'],
        policies: [{ name: 'open', action: 'bypass', include: [{ everyone: true }] }],
      });
    },
  });
});
afterAll(() => stack?.close());

const seen = async (target: string, headers: Record<string, string>) => {
  const res = await rawRequest(stack.url, target, { headers: { accept: 'application/json', ...headers } });
  expect(res.status).toBe(200);
  return (JSON.parse(res.body) as { headers: Record<string, string> }).headers;
};

describe('untrusted client headers', () => {
  it('none of the spoofed headers reaches the upstream of a bypassed path; other headers do', async () => {
    const got = await seen('/public/x', { ...SPOOFED_IDENTITY_HEADERS, 'X-Tenant-Override': 'evil', 'X-Legacy-Auth-User': 'mallory', 'X-Custom': 'kept' });
    const leaked = Object.keys(got).filter((h) => /mallory|evil|admins|DELETE|eyJforged/.test(got[h]!));
    expect(leaked).toEqual([]);
    expect(got['x-custom']).toBe('kept');
  });

  it('an app that trusts X-HTTP-Method-Override receives it; the other untrusted headers are still stripped', async () => {
    const got = await seen('/dav/file', { 'X-HTTP-Method-Override': 'PROPFIND', 'X-Method-Override': 'DELETE', 'X-Remote-User': 'mallory' });
    expect(got['x-http-method-override']).toBe('PROPFIND');
    expect(got['x-method-override']).toBeUndefined();
    expect(got['x-remote-user']).toBeUndefined();
  });
});
