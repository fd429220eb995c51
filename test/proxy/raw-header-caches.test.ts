/**
 * The one-pass forms of the raw header edits against the plain definitions they replaced: the
 * Cookie filter and cookie-name reader agree with split/trim/filter/join on every short string over
 * the characters that matter; Connection tokens remembered per value still drop exactly what each
 * request's own Connection names; a strip rules object with one more name is one object per (rules,
 * name), and what it adds is stripped.
 */
import { describe, expect, it } from 'vitest';
import { cookiePairName, filterCookieHeader } from '../../src/proxy/cookies';
import { withStrippedName, type HeaderStripRules } from '../../src/proxy/headers';
import { downstreamRawHeaders, rememberedHeaderMemos, upstreamRawHeaders } from '../../src/proxy/raw-headers';
import type { UpstreamRequest } from '../../src/proxy';

/** The definitions before the one-pass versions. */
const referenceName = (p: string) => {
  const end = p.search(/[=;]/);
  return (end === -1 ? p : p.slice(0, end)).trim();
};
const referenceFilter = (h: string | null, isGateway: (n: string) => boolean) => {
  if (!h) return undefined;
  const kept = h
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p.length > 0 && !isGateway(referenceName(p)));
  return kept.length > 0 ? kept.join('; ') : undefined;
};

/** Every string up to `max` characters over `alphabet`. */
function* strings(alphabet: string[], max: number): Generator<string> {
  let level = [''];
  yield '';
  for (let n = 1; n <= max; n++) {
    const next: string[] = [];
    for (const s of level) for (const c of alphabet) next.push(s + c);
    yield* next;
    level = next;
  }
}

describe('Cookie filtering in one pass', () => {
  it('gives what split/trim/filter/join gives, and reads names as the regex did, for every string of up to 6 characters', () => {
    const isGateway = (n: string) => n === 'g' || n === 'g=';
    let checked = 0;
    let differing = 0;
    for (const s of strings(['g', 'a', '=', ';', ' ', '\t'], 6)) {
      checked++;
      if (filterCookieHeader(s, isGateway) !== referenceFilter(s, isGateway) || cookiePairName(s) !== referenceName(s)) differing++;
    }
    expect(checked).toBe(55987);
    expect(differing).toBe(0);
  });
});

const opts = (over: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  upstream: new URL('http://app.internal'),
  path: '/',
  query: '',
  identityHeaders: {},
  strip: { names: ['X-User'], prefixes: [] },
  isGatewayCookie: () => false,
  clientAddress: '192.0.2.1',
  proto: 'https',
  host: 'gw.example',
  requestId: 'rid',
  ...over,
});

const names = (raw: string[]) => raw.filter((_, i) => i % 2 === 0);

describe('Connection tokens remembered per value', () => {
  it('each request drops what its own Connection names, whatever was seen before', () => {
    const a = ['Connection', 'X-One', 'X-One', '1', 'X-Two', '2'];
    const b = ['Connection', 'X-Two', 'X-One', '1', 'X-Two', '2'];
    const c = ['X-One', '1', 'X-Two', '2', 'connection', 'x_one, X-TWO'];
    for (let round = 0; round < 2; round++) {
      expect(names(upstreamRawHeaders(a, opts())).slice(0, 1)).toEqual(['X-Two']);
      expect(names(upstreamRawHeaders(b, opts())).slice(0, 1)).toEqual(['X-One']);
      expect(names(upstreamRawHeaders(c, opts()))[0]).toBe('x-forwarded-for');
      expect(names(downstreamRawHeaders(a, opts()).headers)).toEqual(['X-Two', 'x-request-id']);
      expect(names(downstreamRawHeaders(b, opts()).headers)).toEqual(['X-One', 'x-request-id']);
    }
  });

  it('two Connection lines name the tokens of both', () => {
    const raw = ['Connection', 'X-One', 'X-One', '1', 'Connection', 'X-Two', 'X-Two', '2', 'X-Three', '3'];
    expect(names(upstreamRawHeaders(raw, opts())).slice(0, 1)).toEqual(['X-Three']);
  });
});

describe('what the header edits remember is bounded in bytes', () => {
  it('a long header name or Connection value is edited right and never kept', () => {
    upstreamRawHeaders(['X-Drop', '1', 'X-Keep', '2', 'Connection', 'keep-alive'], opts());
    const before = rememberedHeaderMemos();
    const longName = `X-${'A'.repeat(30_000)}`;
    const longConnection = `${'x-pad, '.repeat(2000)}X-Drop`;
    for (let round = 0; round < 2; round++) {
      const out = upstreamRawHeaders([longName, 'v', 'Connection', longConnection, 'X-Drop', 'gone', 'X-Keep', 'kept'], opts());
      expect(names(out).slice(0, 2)).toEqual([longName, 'X-Keep']);
    }
    expect(rememberedHeaderMemos()).toEqual(before);
  });
});

describe('strip rules with one more name', () => {
  it('is one object per rules and name, and strips that name with the rest', () => {
    const base: HeaderStripRules = { names: ['X-User'], prefixes: ['X-Auth-'] };
    const once = withStrippedName(base, 'authorization');
    expect(withStrippedName(base, 'authorization')).toBe(once);
    expect(once).toEqual({ names: ['X-User', 'authorization'], prefixes: ['X-Auth-'] });
    expect(base.names).toEqual(['X-User']);
    const raw = ['Authorization', 'Bearer t', 'X-User', 'u', 'X-Auth-Role', 'r', 'Accept', '*/*'];
    expect(names(upstreamRawHeaders(raw, opts({ strip: once }))).slice(0, 1)).toEqual(['Accept']);
    expect(names(upstreamRawHeaders(raw, opts({ strip: base }))).slice(0, 2)).toEqual(['Authorization', 'Accept']);
  });
});
