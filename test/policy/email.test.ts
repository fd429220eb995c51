/**
 * email_domains and emails selectors: exact domain matches only (no `a@evil@corp`, subdomain or
 * suffix tricks), IDNs compared after lowercasing and NFC, addresses case-insensitively exact.
 */
import { describe, expect, it } from 'vitest';
import { canonicalText, emailDomainMatches, emailMatches } from '../../src/policy';

const domains = (...d: string[]) => new Set(d.map(canonicalText));

describe('email_domains matching', () => {
  it.each([
    ['carol@partner.example', true],
    ['Carol@PARTNER.Example', true],
    ['a@evil@partner.example', false],
    ['a@partner.example@evil.com', false],
    ['a@partner.example.evil.com', false],
    ['a@evilpartner.example', false],
    ['a@sub.partner.example', false],
    ['a@partner.example.', false],
    ['@partner.example', false],
    ['partner.example', false],
    ['a b@partner.example', false],
  ])('%s -> %s', (email, expected) => {
    expect(emailDomainMatches(email, domains('partner.example'))).toBe(expected);
  });

  it('compares IDNs after lowercasing and NFC', () => {
    const composed = 'b\u00fccher.example';
    const decomposed = 'bu\u0308cher.example';
    expect(emailDomainMatches(`x@${decomposed.toUpperCase()}`, domains(composed))).toBe(true);
    expect(emailDomainMatches('x@xn--bcher-kva.example', domains(composed))).toBe(false);
  });
});

describe('emails matching', () => {
  it('is case-insensitive exact', () => {
    const set = domains('alice@example.com');
    expect(emailMatches('ALICE@example.com', set)).toBe(true);
    expect(emailMatches('alice@example.com.evil', set)).toBe(false);
    expect(emailMatches('x@alice@example.com', domains('x@alice@example.com'))).toBe(false);
  });
});
