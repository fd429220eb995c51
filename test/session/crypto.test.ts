/**
 * randomToken (base64url of the requested length, different each call, nonsense sizes refused),
 * sha256Base64url (RFC 7636 appendix B example) and constantTimeEqual.
 */
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, randomToken, sha256Base64url } from '../../src/session/crypto';

describe('randomToken', () => {
  it('is base64url of the requested length and differs each call', () => {
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomToken()).not.toBe(a);
  });

  it('refuses nonsense sizes', () => {
    expect(() => randomToken(0)).toThrow(RangeError);
    expect(() => randomToken(1.5)).toThrow(RangeError);
  });
});

describe('sha256Base64url', () => {
  it('matches the RFC 7636 appendix B example', async () => {
    expect(await sha256Base64url('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});

describe('constantTimeEqual', () => {
  it.each([
    ['abc', 'abc', true],
    ['', '', true],
    ['abc', 'abd', false],
    ['abc', 'ab', false],
    ['ab', 'abc', false],
    ['', 'a', false],
    ['é', 'e', false],
    ['ü', 'ü', true],
  ] as Array<[string, string, boolean]>)('%j vs %j -> %s', (a, b, expected) => {
    expect(constantTimeEqual(a, b)).toBe(expected);
  });
});
