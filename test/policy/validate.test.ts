/**
 * Apps config validation through the same schema the root config uses: each invalid input gets the
 * key's path and a message with the fix (unknown keys, selectors, actions, ids, upstreams, durations,
 * CIDRs, globs, regexes, countries, emails and domains, unreachable and duplicate policies, app
 * routing clashes); valid configs pass; validateApps reports paths directly, compileApps refuses
 * invalid apps; `unmatched` and the defaults. (What `check`/`serve` print for an unknown key:
 * test/config/load.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appsSchema, compileApps, formatKeyPath, PolicyConfigError, unmatchedSchema, validateApps, type AppInput } from '../../src/policy';

const base = (policies: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'demo',
  name: 'Demo',
  upstream: 'http://127.0.0.1:9000',
  policies,
  ...extra,
});
const ok = { name: 'ok', action: 'allow', include: [{ authenticated: true }] };

/** Issues as "path: message", through the same schema the root config uses. */
function problems(apps: unknown[]): string[] {
  const r = z.object({ apps: appsSchema }).safeParse({ apps });
  return r.success ? [] : r.error.issues.map((i) => `${formatKeyPath(i.path)}: ${i.message}`);
}

describe('apps config validation (paths and fixes)', () => {
  it('accepts a valid config', () => {
    expect(problems([base([ok])])).toEqual([]);
  });

  it.each<[string, unknown[], string]>([
    ['unknown app key', [base([ok], { upstreem: 'x' })], 'apps[0]: unknown key "upstreem" in an app'],
    ['unknown policy key', [base([{ ...ok, path: ['/x'] }])], 'apps[0].policies[0]: unknown key "path"'],
    ['unknown selector', [base([{ ...ok, include: [{ group: ['a'] }] }])], 'apps[0].policies[0].include[0]: unknown key "group"'],
    ['bad action', [base([{ ...ok, action: 'permit' }])], 'apps[0].policies[0].action: action must be one of allow, block, bypass, service'],
    ['everyone false', [base([{ ...ok, action: 'bypass', include: [{ everyone: false }] }])], 'apps[0].policies[0].include[0].everyone: write everyone: true'],
    ['bad id', [base([ok], { id: 'My App' })], 'apps[0].id: app id must be lowercase'],
    ['upstream query', [base([ok], { upstream: 'http://u/?a=1' })], 'apps[0].upstream: upstream must not have a query'],
    ['upstream scheme', [base([ok], { upstream: 'ftp://u' })], 'apps[0].upstream: upstream must be http: or https:'],
    ['bad duration', [base([ok], { session: { idleTimeout: 'soon' } })], 'apps[0].session.idleTimeout:'],
    ['empty selector list', [base([{ ...ok, include: [{ groups: [] }] }])], 'apps[0].policies[0].include[0].groups: list group values'],
    ['bad auth method', [base([{ ...ok, include: [{ auth_methods: ['cookie'] }] }])], 'auth_methods values are session, bearer or basic'],
    ['no rules', [base([{ name: 'x', action: 'allow' }])], 'apps[0].policies[0]: policy "x" has no rules'],
    [
      'empty include',
      [base([{ name: 'x', action: 'allow', include: [], require: [{ authenticated: true }] }])],
      'apps[0].policies[0].include: include is empty',
    ],
    ['zero selectors', [base([{ ...ok, include: [{}] }])], 'apps[0].policies[0].include[0]: a rule needs one selector'],
    [
      'two selectors',
      [base([{ ...ok, include: [{ groups: ['a'], emails: ['a@b.c'] }] }])],
      'apps[0].policies[0].include[0]: a rule has exactly one selector, this one has emails and groups',
    ],
    [
      'bad CIDR',
      [base([ok, { ...ok, name: 'n' }, { ...ok, name: 'ip', include: [{ ip_ranges: ['10.0.0.0/8', '10.0.0/8'] }] }])],
      'apps[0].policies[2].include[0].ip_ranges[1]: "10.0.0/8" is not a CIDR; write e.g. 10.0.0.0/8',
    ],
    ['bad glob', [base([{ ...ok, paths: ['admin/*'] }])], 'apps[0].policies[0].paths[0]: "admin/*" is not a path glob; globs start with "/", e.g. /admin/*'],
    ['non-normalised glob', [base([{ ...ok, paths: ['/a/./b'] }])], 'apps[0].policies[0].paths[0]: "/a/./b" is not a normalised path; write /a/b'],
    [
      'glob outside prefix',
      [base([{ ...ok, paths: ['/admin/*'] }], { pathPrefix: '/shop' })],
      'apps[0].policies[0].paths[0]: "/admin/*" can never match under the app\'s pathPrefix /shop',
    ],
    [
      'bad regex',
      [base([{ ...ok, include: [{ claims: { 'custom:tenant': { pattern: '(' } } }] }])],
      'apps[0].policies[0].include[0].claims["custom:tenant"].pattern: "(" is not a valid regular expression',
    ],
    [
      'bad country',
      [base([{ ...ok, include: [{ countries: ['DEU'] }] }])],
      'apps[0].policies[0].include[0].countries[0]: "DEU" is not an ISO 3166-1 alpha-2 code',
    ],
    [
      'email domain with @',
      [base([{ ...ok, include: [{ email_domains: ['@partner.example'] }] }])],
      'apps[0].policies[0].include[0].email_domains[0]: "@partner.example" is an email domain, not an address; write partner.example',
    ],
    [
      'email domain trailing dot',
      [base([{ ...ok, include: [{ email_domains: ['partner.example.'] }] }])],
      'must not start or end with "."; write partner.example',
    ],
    ['email with two @', [base([{ ...ok, include: [{ emails: ['a@b@c'] }] }])], 'apps[0].policies[0].include[0].emails[0]: "a@b@c" is not an email address'],
    [
      'allow everyone',
      [base([{ name: 'all', action: 'allow', include: [{ everyone: true }] }])],
      'apps[0].policies[0].include[0]: allow with an everyone include is refused: use action: bypass',
    ],
    [
      'identity selector in bypass',
      [base([{ name: 'b', action: 'bypass', include: [{ groups: ['a'] }] }])],
      'apps[0].policies[0].include[0]: bypass skips sign-in, so groups can never be known',
    ],
    ['exclude everyone', [base([{ ...ok, exclude: [{ everyone: true }] }])], 'apps[0].policies[0].exclude[0]: excluding everyone'],
    [
      'unreachable after catch-all',
      [base([{ name: 'all', action: 'bypass', include: [{ everyone: true }] }, ok])],
      'apps[0].policies[1]: unreachable: policy "ok" comes after "all" (policies[0])',
    ],
    ['duplicate policy names', [base([ok, ok])], 'apps[0].policies[1].name: duplicate policy name "ok"'],
    ['no policies', [base([])], 'apps[0].policies: an app without policies denies every request'],
    ['duplicate app ids', [base([ok], { hosts: ['a.test'] }), base([ok], { hosts: ['b.test'] })], 'apps[1].id: duplicate app id "demo" (also apps[0].id)'],
    [
      'same hosts and prefix',
      [base([ok], { hosts: ['a.test', 'b.test'] }), base([ok], { id: 'two', hosts: ['B.test:443'] })],
      'apps[1]: same hosts and pathPrefix as apps[0] (b.test /)',
    ],
    [
      'same prefix, no hosts',
      [base([ok], { pathPrefix: '/x/' }), base([ok], { id: 'two', pathPrefix: '/x' })],
      'apps[1]: same hosts and pathPrefix as apps[0]',
    ],
    ['bad host', [base([ok], { hosts: ['http://a.test'] })], 'apps[0].hosts[0]: "http://a.test" is not a host'],
    ['non-normalised pathPrefix', [base([ok], { pathPrefix: '/a//b' })], 'apps[0].pathPrefix: "/a//b" is not a normalised path; write /a/b'],
    ['glob as pathPrefix', [base([ok], { pathPrefix: '/a/*' })], 'apps[0].pathPrefix: "/a/*" is a prefix, not a glob'],
  ])('%s', (_name, apps, expected) => {
    const found = problems(apps);
    expect(
      found.some((p) => p.startsWith(expected) || p.includes(expected)),
      `got:\n${found.join('\n')}`,
    ).toBe(true);
  });

  it('allows different prefixes on the same host and a policy after a non-catch-all everyone', () => {
    expect(
      problems([
        base([{ name: 'pub', action: 'bypass', paths: ['/p/*'], include: [{ everyone: true }] }, ok], { hosts: ['a.test'] }),
        base([ok], { id: 'two', hosts: ['a.test'], pathPrefix: '/two' }),
      ]),
    ).toEqual([]);
  });

  it('validateApps reports paths directly and compileApps refuses invalid apps', () => {
    const apps = z.array(z.any()).parse([base([{ ...ok, include: [{}] }])]) as Parameters<typeof validateApps>[0];
    const parsed = apps.map((a) => ({ ...a, pathPrefix: '/', caseSensitive: true, policies: a.policies.map((p) => ({ ...p, allowUnverifiedEmail: false })) }));
    expect(validateApps(parsed)).toEqual([
      {
        path: 'apps[0].policies[0].include[0]',
        keyPath: ['apps', 0, 'policies', 0, 'include', 0],
        message: expect.stringContaining('a rule needs one selector'),
      },
    ]);
    expect(() => compileApps(parsed)).toThrow(PolicyConfigError);
  });

  it('unmatched is 404 by default and only 404 or 403', () => {
    expect(unmatchedSchema.parse(undefined)).toBe(404);
    expect(unmatchedSchema.parse(403)).toBe(403);
    expect(unmatchedSchema.safeParse(500).success).toBe(false);
  });

  it('applies defaults', () => {
    const [app] = appsSchema.parse([base([{ ...ok, methods: ['get'] }])] as AppInput[]);
    expect(app).toMatchObject({ pathPrefix: '/', unusualPaths: 'refuse', policies: [{ allowUnverifiedEmail: false, methods: ['GET'] }] });
    expect(app!.caseSensitive).toBeUndefined();
  });
});
