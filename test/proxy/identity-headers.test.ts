/**
 * Identity headers: headersConfigSchema's defaults, errors naming the key and fix, no two mappings to
 * the same upstream header, app overrides merged field by field; mapIdentityHeaders maps claims and
 * presets (oauth2-proxy, authelia, alb), omits absent claims, adds the access token unmodified,
 * percent-encodes control and non-ASCII characters reversibly, bounds many groups at whole groups
 * (saying so) and leaves out a single oversized value; encodeHeaderValue; stripRulesFor covers every
 * name an upstream could confuse with the gateway's.
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { identityFromClaims } from '../../src/identity';
import { encodeHeaderValue } from '../../src/proxy/header-value';
import { matchesStripRules } from '../../src/proxy/headers';
import { headersConfigSchema, mapIdentityHeaders, mergeHeadersConfig, stripRulesFor, type HeadersConfig } from '../../src/proxy/identity-headers';

const root = z.object({ headers: headersConfigSchema });
const parse = (headers?: unknown): HeadersConfig => root.parse(headers === undefined ? {} : { headers }).headers;
const issues = (headers: unknown) => {
  const r = root.safeParse({ headers });
  if (r.success) throw new Error('expected the config to be refused');
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

const alice = identityFromClaims(
  {
    sub: '7f3a-sub',
    'cognito:username': 'alice',
    email: 'alice@example.com',
    email_verified: true,
    'cognito:groups': ['admins', 'staff'],
    name: 'Alice Liddell',
    'custom:tenant': 'acme',
    token_use: 'id',
    iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x',
    aud: 'client',
  },
  'session',
);

describe('headersConfigSchema', () => {
  it('has the documented defaults, also when the key is absent', () => {
    expect(parse()).toEqual({
      presets: [],
      claims: { 'X-Auth-User': 'cognito:username', 'X-Auth-Email': 'email', 'X-Auth-Groups': 'cognito:groups' },
      accessToken: 'none',
      stripPrefixes: ['X-Auth-'],
      maxValueBytes: 4096,
      unverifiedEmail: 'drop',
    });
  });

  it('names the key and the fix for invalid header names and values', () => {
    expect(issues({ claims: { 'X Auth': 'email' } })).toEqual([
      expect.stringMatching(/^headers\.claims\.X Auth: "X Auth" is not a valid HTTP header name; use letters/),
    ]);
    expect(issues({ claims: { Cookie: 'email' } })[0]).toMatch(/^headers\.claims\.Cookie: .*pick another name/);
    expect(issues({ presets: ['nginx'] })[0]).toMatch(/^headers\.presets\.0: unknown preset; use any of: oauth2-proxy, authelia, alb/);
    expect(issues({ accessToken: 'Bad Header' })[0]).toMatch(/^headers\.accessToken: .*or write none, or authorization/);
    expect(issues({ maxValueBytes: 10 })[0]).toMatch(/^headers\.maxValueBytes: at least 64/);
    expect(issues({ stripPrefixes: ['X'] })[0]).toMatch(/^headers\.stripPrefixes\.0: prefix too short/);
    expect(issues({ claim: {} })[0]).toMatch(/headers: Unrecognized key/);
  });

  it('refuses two mappings that are the same header to an upstream', () => {
    expect(issues({ claims: { 'X-Auth-User': 'sub', x_auth_user: 'email' } })[0]).toMatch(/^headers\.claims\.x_auth_user: .*same header/);
    expect(issues({ claims: { 'X-Token': 'sub' }, accessToken: 'x-token' })[0]).toMatch(/^headers\.accessToken: .*already mapped/);
  });

  it('merges an app override field by field, claims replaced as a whole', () => {
    const merged = mergeHeadersConfig(parse({ presets: ['alb'] }), { claims: { 'X-Tenant': 'custom:tenant' }, maxValueBytes: 512 });
    expect(merged).toMatchObject({ presets: ['alb'], claims: { 'X-Tenant': 'custom:tenant' }, maxValueBytes: 512, accessToken: 'none' });
    expect(() => mergeHeadersConfig(parse(), { claims: { 'X-A': 'sub', 'x-a': 'email' } })).toThrow(/same header/);
  });
});

describe('mapIdentityHeaders', () => {
  it('maps the default claims (groups joined with commas)', () => {
    expect(mapIdentityHeaders(alice, parse())).toEqual({ 'X-Auth-User': 'alice', 'X-Auth-Email': 'alice@example.com', 'X-Auth-Groups': 'admins,staff' });
  });

  it('presets: oauth2-proxy, authelia, alb; explicit claims win over a preset header', () => {
    const cfg = parse({ presets: ['oauth2-proxy', 'authelia', 'alb'], claims: { 'X-Forwarded-Email': 'custom:tenant', 'X-Sub': 'sub' } });
    expect(mapIdentityHeaders(alice, cfg)).toEqual({
      'X-Forwarded-User': 'alice',
      'X-Forwarded-Groups': 'admins,staff',
      'X-Forwarded-Preferred-Username': 'alice',
      'Remote-User': 'alice',
      'Remote-Groups': 'admins,staff',
      'Remote-Email': 'alice@example.com',
      'Remote-Name': 'Alice Liddell',
      'x-amzn-oidc-identity': '7f3a-sub',
      'X-Forwarded-Email': 'acme',
      'X-Sub': '7f3a-sub',
    });
  });

  it('sends no header for an absent claim, and none for a user without groups', () => {
    const bob = identityFromClaims({ sub: 'b', 'cognito:username': 'bob', token_use: 'id' }, 'session');
    expect(mapIdentityHeaders(bob, parse())).toEqual({ 'X-Auth-User': 'bob' });
  });

  it('adds the access token as Authorization or as a named header, never encoded or cut', () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.${'a'.repeat(5000)}.sig`;
    expect(mapIdentityHeaders(alice, parse({ accessToken: 'authorization', claims: {} }), token)).toEqual({ Authorization: `Bearer ${token}` });
    expect(mapIdentityHeaders(alice, parse({ accessToken: 'X-Forwarded-Access-Token', claims: {} }), token)).toEqual({ 'X-Forwarded-Access-Token': token });
    expect(mapIdentityHeaders(alice, parse({ claims: {} }), token)).toEqual({});
    expect(mapIdentityHeaders(alice, parse({ accessToken: 'authorization', claims: {} }), 'bad\r\ntoken')).toEqual({});
  });

  it('sanitises values: control characters and non-ASCII percent-encoded, reversibly', () => {
    const evil = identityFromClaims(
      {
        sub: 's',
        'cognito:username': 'mallory\r\nX-Auth-Groups: admins',
        email: 'josé@exämple.com',
        'cognito:groups': ['a,b', '50%', ' padded '],
        token_use: 'id',
      },
      'session',
    );
    const h = mapIdentityHeaders(evil, parse());
    expect(h['X-Auth-User']).toBe('mallory%0D%0AX-Auth-Groups: admins');
    expect(h['X-Auth-Email']).toBe('jos%C3%A9@ex%C3%A4mple.com');
    expect(h['X-Auth-Groups']).toBe('a%2Cb,50%25,%20padded%20');
    for (const v of Object.values(h)) expect(v).toMatch(/^[\x20-\x7e]*$/);
    expect(decodeURIComponent(h['X-Auth-Email']!)).toBe('josé@exämple.com');
    expect(h['X-Auth-Groups']!.split(',').map(decodeURIComponent)).toEqual(['a,b', '50%', ' padded ']);
    // The values are accepted by the Web Headers class (no CR/LF/NUL can reach the wire).
    expect(() => new Headers(h)).not.toThrow();
  });

  it('bounds a user in 100 groups of 60 characters at whole groups and says so', () => {
    const groups = Array.from({ length: 100 }, (_, i) => `group-${String(i).padStart(3, '0')}-`.padEnd(60, 'x'));
    const many = identityFromClaims({ sub: 's', 'cognito:username': 'u', 'cognito:groups': groups, token_use: 'id' }, 'session');
    const h = mapIdentityHeaders(many, parse());
    const value = h['X-Auth-Groups']!;
    expect(value.length).toBeLessThanOrEqual(4096);
    const kept = value.split(',');
    expect(kept).toEqual(groups.slice(0, kept.length)); // whole groups, in order
    expect(kept.length).toBe(67); // 67 * 61 - 1 = 4086 bytes
    expect(h['X-Auth-Groups-Truncated']).toBe('true');
    expect(mapIdentityHeaders(alice, parse())['X-Auth-Groups-Truncated']).toBeUndefined();
  });

  it('leaves out (never cuts) a single value over the bound', () => {
    const long = identityFromClaims({ sub: 's', 'cognito:username': 'u'.repeat(100), token_use: 'id' }, 'session');
    const h = mapIdentityHeaders(long, parse({ maxValueBytes: 64 }));
    expect(h['X-Auth-User']).toBeUndefined();
    expect(h['X-Auth-User-Truncated']).toBe('true');
  });

  it('renders numbers, booleans and objects', () => {
    const id = identityFromClaims({ sub: 's', auth_time: 1700000000, email_verified: true, address: { locality: 'Zürich' }, token_use: 'id' }, 'session');
    const h = mapIdentityHeaders(id, parse({ claims: { 'X-Auth-Time': 'auth_time', 'X-Verified': 'email_verified', 'X-Address': 'address' } }));
    expect(h).toEqual({ 'X-Auth-Time': '1700000000', 'X-Verified': 'true', 'X-Address': '{"locality":"Z%C3%BCrich"}' });
  });
});

describe('encodeHeaderValue', () => {
  it('leaves ordinary printable ASCII alone', () => {
    expect(encodeHeaderValue('alice@example.com (Admin) +tag')).toBe('alice@example.com (Admin) +tag');
  });
  it('encodes NUL, DEL and astral characters', () => {
    expect(encodeHeaderValue('a\u0000b\u007fc😀')).toBe('a%00b%7Fc%F0%9F%98%80');
  });
});

describe('stripRulesFor', () => {
  it('covers mapped headers, their companions, presets, prefixes, the extra names and the base rules', () => {
    const r = stripRulesFor(
      parse({ presets: ['authelia'], claims: { 'X-Tenant': 'custom:tenant' }, accessToken: 'X-Access-Token', stripPrefixes: ['X-Corp-'] }),
      ['X-Auth-Assertion'],
    );
    for (const name of [
      'X-Tenant',
      'x_tenant',
      'X-Tenant-Truncated',
      'Remote-Groups-Truncated',
      'X-Access-Token',
      'X-Corp-Role',
      'x_auth_assertion',
      'X-Forwarded-User',
      'X-Amzn-Oidc-Data',
    ]) {
      expect(matchesStripRules(name, r), name).toBe(true);
    }
    expect(matchesStripRules('X-Auth-User', r)).toBe(false); // not mapped, prefix replaced by X-Corp-
    expect(matchesStripRules('Accept', r)).toBe(false);
    expect(matchesStripRules('X-Auth-User', stripRulesFor(parse(), []))).toBe(true);
  });
});

describe('mapIdentityHeaders remembered per frozen identity', () => {
  const claims = {
    sub: 'memo-sub',
    'cognito:username': 'mia',
    email: 'mia@example.com',
    email_verified: true,
    'cognito:groups': ['staff'],
    token_use: 'id',
    iss: 'https://issuer.example',
  };

  it('answers the same headers object for the same identity, config and access token', () => {
    const cfg = parse();
    const id = Object.freeze(identityFromClaims({ ...claims }, 'session'));
    const first = mapIdentityHeaders(id, cfg);
    expect(first).toEqual({ 'X-Auth-User': 'mia', 'X-Auth-Email': 'mia@example.com', 'X-Auth-Groups': 'staff' });
    expect(mapIdentityHeaders(id, cfg)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('recomputes for another config, another access token, or a new identity (a refresh makes new claims)', () => {
    const cfg = parse();
    const withToken = parse({ accessToken: 'X-Auth-Access-Token' });
    const id = Object.freeze(identityFromClaims({ ...claims }, 'session'));
    const plain = mapIdentityHeaders(id, cfg);
    expect(mapIdentityHeaders(id, withToken, 'tok-1')).toEqual({ ...plain, 'X-Auth-Access-Token': 'tok-1' });
    expect(mapIdentityHeaders(id, withToken, 'tok-2')['X-Auth-Access-Token']).toBe('tok-2');
    expect(mapIdentityHeaders(id, cfg)).toEqual(plain);
    const refreshed = Object.freeze(identityFromClaims({ ...claims, 'cognito:groups': ['admins', 'staff'] }, 'session'));
    expect(mapIdentityHeaders(refreshed, cfg)['X-Auth-Groups']).toBe('admins,staff');
    expect(mapIdentityHeaders(id, cfg)['X-Auth-Groups']).toBe('staff');
  });

  it('never remembers an identity that is not frozen (it could change)', () => {
    const cfg = parse();
    const id = identityFromClaims({ ...claims }, 'session');
    expect(mapIdentityHeaders(id, cfg)['X-Auth-User']).toBe('mia');
    (id.claims as Record<string, unknown>)['cognito:username'] = 'max';
    expect(mapIdentityHeaders(id, cfg)['X-Auth-User']).toBe('max');
  });
});
