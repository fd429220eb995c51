/**
 * cookieConfigSchema: defaults (also with the key omitted), unknown keys refused, sameSite none needs
 * secure, namePrefix and domain validated; resolveCookieScope: Secure and __Host- on https, neither on
 * plain-HTTP loopback, a Domain (or hostPrefix false) disabling the prefix, explicit secure winning.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cookieConfigSchema, isPlainHttpLoopback, resolveCookieScope } from '../../src/session/cookie-settings';

describe('cookieConfigSchema', () => {
  it('fills the defaults', () => {
    expect(cookieConfigSchema.parse({})).toEqual({ namePrefix: '_cgw', secure: 'auto', sameSite: 'lax', hostPrefix: true });
  });

  it('fills the defaults when the whole key is omitted (prefault)', () => {
    const root = z.object({ cookies: cookieConfigSchema.prefault({}) });
    expect(root.parse({}).cookies.namePrefix).toBe('_cgw');
  });

  it('rejects unknown keys', () => {
    expect(cookieConfigSchema.safeParse({ name: 'x' }).success).toBe(false);
  });

  it('rejects sameSite none without secure: true, naming the fix', () => {
    for (const secure of [false, 'auto'] as const) {
      const result = cookieConfigSchema.safeParse({ sameSite: 'none', secure });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/cookies\.secure: true/);
      expect(result.error?.issues[0]?.path).toEqual(['sameSite']);
    }
    expect(cookieConfigSchema.safeParse({ sameSite: 'none', secure: true }).success).toBe(true);
  });

  it.each(['__Host-x', 'has space', 'semi;colon', ''])('rejects namePrefix %j', (namePrefix) => {
    const result = cookieConfigSchema.safeParse({ namePrefix });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/cookies\.namePrefix/);
  });

  it.each(['example.com', '.example.com', 'a-b.example.co.uk'])('accepts domain %j', (domain) => {
    expect(cookieConfigSchema.safeParse({ domain }).success).toBe(true);
  });

  it.each(['https://example.com', 'example.com/', 'exa mple.com', 'example.com;x'])('rejects domain %j', (domain) => {
    expect(cookieConfigSchema.safeParse({ domain }).success).toBe(false);
  });
});

describe('resolveCookieScope', () => {
  const defaults = cookieConfigSchema.parse({});

  it.each([
    ['http://localhost:8787', true],
    ['http://127.0.0.1:8787', true],
    ['http://[::1]:8787', true],
    ['https://localhost', false],
    ['http://gateway.internal', false],
    ['http://127.0.0.2', false],
    ['not a url', false],
  ] as Array<[string, boolean]>)('isPlainHttpLoopback(%s) = %s', (origin, expected) => {
    expect(isPlainHttpLoopback(origin)).toBe(expected);
  });

  it('auto: Secure with __Host- on https, neither on plain-HTTP loopback', () => {
    expect(resolveCookieScope(defaults, 'https://gw.example.com')).toMatchObject({ secure: true, hostPrefixed: true, baseName: '__Host-_cgw' });
    expect(resolveCookieScope(defaults, 'http://127.0.0.1:8787')).toMatchObject({ secure: false, hostPrefixed: false, baseName: '_cgw' });
  });

  it('a Domain disables the host prefix; hostPrefix false too', () => {
    const withDomain = resolveCookieScope({ ...defaults, domain: 'example.com' }, 'https://gw.example.com');
    expect(withDomain).toMatchObject({ secure: true, hostPrefixed: false, domain: 'example.com', baseName: '_cgw' });
    expect(resolveCookieScope({ ...defaults, hostPrefix: false }, 'https://gw.example.com').baseName).toBe('_cgw');
  });

  it('explicit secure wins over the origin', () => {
    expect(resolveCookieScope({ ...defaults, secure: true }, 'http://localhost:8787').secure).toBe(true);
    expect(resolveCookieScope({ ...defaults, secure: false }, 'https://gw.example.com')).toMatchObject({ secure: false, hostPrefixed: false });
  });
});
