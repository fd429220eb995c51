/**
 * Policy evaluation (evaluate): every selector in an allow policy; include/require/exclude and the
 * rules recorded as deciding; first decisive policy wins, identity-dependent blocks cannot be dodged
 * anonymously, methods restrict a policy, deny by default with a trace, ** globs, case-insensitive
 * apps; service policies for bearer tokens with scopes (insufficientScope only for a missing scope,
 * bearer never satisfying allow without auth_methods: [bearer]); three-valued logic for anonymous
 * requests (unknown vs definite answers, Kleene or).
 */
import { describe, expect, it } from 'vitest';
import type { Identity } from '../../src/identity';
import { evaluate, type AppInput, type Decision, type PolicyRequest } from '../../src/policy';
import { alice, appWith, bob, carol, machine, machineWith, user } from './helpers';

type RuleInput = NonNullable<AppInput['policies'][number]['include']>[number];

const req = (over: Partial<PolicyRequest> = {}): PolicyRequest => ({ method: 'GET', path: '/x', host: 'h', ...over });

/** A single allow policy with one include rule. */
function allowIf(rule: RuleInput, extra: Record<string, unknown> = {}) {
  return appWith([{ name: 'p', action: 'allow', include: [rule], ...extra }]);
}

const federated = user({ 'cognito:username': 'partneridp_x', identities: [{ providerName: 'PartnerIdP' }], email: 'x@partner.example', email_verified: true });
const unverified = user({ 'cognito:username': 'dave', email: 'dave@partner.example', email_verified: false });
const bearerAlice = { ...alice, authMethod: 'bearer' as const };
const basicBob = { ...bob, authMethod: 'basic' as const };

describe('selectors (allow policy, one include rule)', () => {
  const cases: Array<[string, RuleInput, Identity | undefined, Decision['effect'], Partial<PolicyRequest>?]> = [
    ['authenticated, alice', { authenticated: true }, alice, 'allow'],
    ['authenticated, anonymous', { authenticated: true }, undefined, 'authenticate'],
    ['users by username', { users: ['bob'] }, bob, 'allow'],
    ['users by sub', { users: ['sub-bob'] }, bob, 'allow'],
    ['users, other user', { users: ['bob'] }, alice, 'deny'],
    ['users, anonymous', { users: ['bob'] }, undefined, 'authenticate'],
    ['emails, case-insensitive', { emails: ['Alice@Example.COM'] }, alice, 'allow'],
    ['emails, other', { emails: ['alice@example.com'] }, bob, 'deny'],
    ['emails, unverified', { emails: ['dave@partner.example'] }, unverified, 'deny'],
    ['email_domains', { email_domains: ['partner.example'] }, carol, 'allow'],
    ['email_domains, uppercase config', { email_domains: ['PARTNER.example'] }, carol, 'allow'],
    ['email_domains, other domain', { email_domains: ['partner.example'] }, alice, 'deny'],
    ['email_domains, unverified', { email_domains: ['partner.example'] }, unverified, 'deny'],
    ['groups', { groups: ['staff'] }, bob, 'allow'],
    ['groups, any of', { groups: ['nobody', 'admins'] }, alice, 'allow'],
    ['groups, none', { groups: ['admins'] }, carol, 'deny'],
    ['identity_providers COGNITO', { identity_providers: ['COGNITO'] }, alice, 'allow'],
    ['identity_providers federated', { identity_providers: ['PartnerIdP'] }, federated, 'allow'],
    ['identity_providers, pool user', { identity_providers: ['PartnerIdP'] }, alice, 'deny'],
    ['claims value', { claims: { 'custom:tenant': 'acme' } }, carol, 'allow'],
    ['claims list', { claims: { 'custom:tenant': ['beta', 'acme'] } }, carol, 'allow'],
    ['claims pattern is full-match', { claims: { 'custom:tenant': { pattern: 'ac' } } }, carol, 'deny'],
    ['claims pattern', { claims: { 'custom:tenant': { pattern: 'ac.*' } } }, carol, 'allow'],
    ['claims missing claim', { claims: { 'custom:tenant': 'acme' } }, alice, 'deny'],
    ['claims all must match', { claims: { 'custom:tenant': 'acme', email: 'x@y' } }, carol, 'deny'],
    ['claims array claim, any element', { claims: { 'cognito:groups': 'staff' } }, bob, 'allow'],
    ['claims boolean as string', { claims: { email_verified: true } }, carol, 'allow'],
    ['ip_ranges v4', { ip_ranges: ['10.0.0.0/8'] }, alice, 'allow', { clientAddress: '10.1.2.3' }],
    ['ip_ranges v4-mapped v6 address', { ip_ranges: ['10.0.0.0/8'] }, alice, 'allow', { clientAddress: '::ffff:10.1.2.3' }],
    ['ip_ranges v6', { ip_ranges: ['2001:db8::/32'] }, alice, 'allow', { clientAddress: '2001:db8:1::5' }],
    ['ip_ranges outside', { ip_ranges: ['10.0.0.0/8'] }, alice, 'deny', { clientAddress: '11.0.0.1' }],
    ['ip_ranges unknown address', { ip_ranges: ['10.0.0.0/8'] }, alice, 'deny'],
    ['countries', { countries: ['de'] }, alice, 'allow', { country: 'DE' }],
    ['countries other', { countries: ['DE'] }, alice, 'deny', { country: 'US' }],
    ['countries unknown', { countries: ['DE'] }, alice, 'deny'],
    ['auth_methods session', { auth_methods: ['session'] }, alice, 'allow'],
    ['auth_methods basic', { auth_methods: ['basic'] }, basicBob, 'allow'],
    ['auth_methods basic vs session', { auth_methods: ['basic'] }, bob, 'deny'],
    ['auth_methods bearer admits a token', { auth_methods: ['bearer'] }, machine, 'allow'],
    ['scopes on a session (ID token has none)', { scopes: ['demo-api/read'] }, alice, 'deny'],
    ['clients on a session (aud)', { clients: ['web'] }, user({ 'cognito:username': 'e', aud: 'web' }), 'allow'],
  ];
  it.each(cases)('%s', (_name, rule, identity, effect, request) => {
    expect(evaluate(allowIf(rule), req(request), identity).effect).toBe(effect);
  });

  it('ip_ranges and countries alone still need a signed-in identity for allow', () => {
    const app = allowIf({ ip_ranges: ['10.0.0.0/8'] });
    expect(evaluate(app, req({ clientAddress: '10.0.0.1' })).effect).toBe('authenticate');
    expect(evaluate(app, req({ clientAddress: '11.0.0.1' })).effect).toBe('deny');
  });

  it('allowUnverifiedEmail lets unverified addresses match', () => {
    const app = allowIf({ email_domains: ['partner.example'] }, { allowUnverifiedEmail: true });
    expect(evaluate(app, req(), unverified).effect).toBe('allow');
  });
});

describe('include / require / exclude', () => {
  const app = appWith([
    {
      name: 'staff-in-office',
      action: 'allow',
      include: [{ groups: ['staff'] }, { emails: ['carol@partner.example'] }],
      require: [{ ip_ranges: ['10.0.0.0/8'] }, { auth_methods: ['session'] }],
      exclude: [{ users: ['bob'] }],
    },
  ]);
  const office = { clientAddress: '10.0.0.7' };
  it.each([
    ['include via group, all requires hold', alice, office, 'allow'],
    ['include via second rule', carol, office, 'allow'],
    ['a require fails', alice, { clientAddress: '192.0.2.1' }, 'deny'],
    ['excluded user', bob, office, 'deny'],
    ['no include rule matches', user({ 'cognito:username': 'z' }), office, 'deny'],
    ['anonymous in the office: unknown -> authenticate', undefined, office, 'authenticate'],
    ['anonymous outside: definitely false -> deny', undefined, { clientAddress: '192.0.2.1' }, 'deny'],
  ] as const)('%s', (_n, identity, request, effect) => {
    expect(evaluate(app, req(request), identity).effect).toBe(effect);
  });

  it('records the rules that decided', () => {
    const d = evaluate(app, req(office), alice);
    expect(d.rule).toBe('include[0] groups: staff; require[0] ip_ranges: 10.0.0.0/8; require[1] auth_methods: session');
    expect(d.reason).toContain('staff-in-office');
  });

  it('require alone works without include', () => {
    const only = appWith([{ name: 'r', action: 'allow', require: [{ groups: ['staff'] }, { groups: ['admins'] }] }]);
    expect(evaluate(only, req(), alice).effect).toBe('allow');
    expect(evaluate(only, req(), bob).effect).toBe('deny');
  });
});

describe('order, applicability and defaults', () => {
  const app = appWith([
    { name: 'block-contractors', action: 'block', include: [{ groups: ['contractors'] }] },
    { name: 'public', action: 'bypass', paths: ['/public/*'], include: [{ everyone: true }] },
    { name: 'writers', action: 'allow', methods: ['post', 'PUT'], include: [{ groups: ['admins'] }] },
    { name: 'office-block', action: 'block', paths: ['/office/*'], include: [{ everyone: true }], exclude: [{ ip_ranges: ['10.0.0.0/8'] }] },
    { name: 'staff', action: 'allow', paths: ['/staff/*', '/docs/**/edit'], include: [{ groups: ['staff'] }] },
  ]);
  const contractor = user({ 'cognito:username': 'c', 'cognito:groups': ['contractors', 'staff'] });

  it('first decisive policy wins', () => {
    expect(evaluate(app, req({ path: '/public/a' }), contractor)).toMatchObject({ effect: 'deny', policy: 'block-contractors' });
  });
  it('a block that depends on identity cannot be dodged anonymously', () => {
    expect(evaluate(app, req({ path: '/public/a' }))).toMatchObject({ effect: 'authenticate', policy: 'block-contractors' });
  });
  it('methods restrict a policy (case-insensitive in config)', () => {
    expect(evaluate(app, req({ method: 'POST', path: '/x' }), alice)).toMatchObject({ effect: 'allow', policy: 'writers' });
    expect(evaluate(app, req({ method: 'GET', path: '/x' }), alice)).toMatchObject({ effect: 'deny', reason: 'no policy matched' });
  });
  it('deny by default with a trace of every policy considered', () => {
    const d = evaluate(app, req({ path: '/nothing' }), bob);
    expect(d.effect).toBe('deny');
    expect(d.policy).toBeUndefined();
    expect(d.trace.map((t) => [t.policy, t.applies])).toEqual([
      ['block-contractors', true],
      ['public', false],
      ['writers', false],
      ['office-block', false],
      ['staff', false],
    ]);
  });
  it('block with exclude, no identity needed', () => {
    expect(evaluate(app, req({ path: '/office/a', clientAddress: '192.0.2.1' }))).toMatchObject({ effect: 'authenticate' });
    // block-contractors comes first and is unknown anonymously; as bob it is false, then office-block decides.
    expect(evaluate(app, req({ path: '/office/a', clientAddress: '192.0.2.1' }), bob)).toMatchObject({ effect: 'deny', policy: 'office-block' });
    expect(evaluate(app, req({ path: '/office/a', clientAddress: '10.0.0.1' }), bob)).toMatchObject({ effect: 'deny', reason: 'no policy matched' });
  });
  it('** globs across segments', () => {
    expect(evaluate(app, req({ path: '/docs/a/b/edit' }), bob)).toMatchObject({ effect: 'allow', policy: 'staff' });
    expect(evaluate(app, req({ path: '/docs/edit' }), bob)).toMatchObject({ effect: 'allow', policy: 'staff' });
    expect(evaluate(app, req({ path: '/docs/a/edit/more' }), bob).effect).toBe('deny');
  });
  it('case-insensitive apps match lowercased paths', () => {
    const ci = appWith([{ name: 'a', action: 'allow', paths: ['/Admin/*'], include: [{ groups: ['admins'] }] }], { caseSensitive: false });
    expect(evaluate(ci, req({ path: '/ADMIN/X' }), alice).effect).toBe('allow');
    const cs = appWith([{ name: 'a', action: 'allow', paths: ['/Admin/*'], include: [{ groups: ['admins'] }] }]);
    expect(evaluate(cs, req({ path: '/ADMIN/X' }), alice).effect).toBe('deny');
  });
});

describe('sessions for browsers, tokens for services', () => {
  const api = appWith([
    { name: 'api', action: 'service', paths: ['/api/*'], include: [{ scopes: ['api/read'] }], require: [{ clients: ['demo-machine', 'other'] }] },
    { name: 'ops', action: 'allow', paths: ['/ops/*'], include: [{ auth_methods: ['bearer'] }, { groups: ['admins'] }] },
    { name: 'browsers', action: 'allow', include: [{ authenticated: true }] },
  ]);
  it('service allows a bearer token with the scope', () => {
    expect(evaluate(api, req({ path: '/api/x' }), machineWith('api/read'))).toMatchObject({ effect: 'allow', policy: 'api' });
  });
  it('service answers sessions and anonymous callers with bearer-only authenticate', () => {
    for (const who of [undefined, alice, basicBob]) {
      expect(evaluate(api, req({ path: '/api/x' }), who)).toMatchObject({ effect: 'authenticate', bearerOnly: true, policy: 'api' });
    }
  });
  it('a token lacking the scope is denied with insufficientScope', () => {
    const d = evaluate(api, req({ path: '/api/x' }), machineWith('api/write'));
    expect(d).toMatchObject({ effect: 'deny', policy: 'api', insufficientScope: ['api/read'], rule: 'include[0] scopes: api/read' });
  });
  it('a token failing a non-scope rule is a plain deny, not insufficient_scope', () => {
    const other = { ...machineWith('api/read'), clientId: 'stranger' };
    const d = evaluate(api, req({ path: '/api/x' }), other);
    expect(d.effect).toBe('deny');
    expect(d.insufficientScope).toBeUndefined();
  });
  it('a bearer token never satisfies allow without auth_methods: [bearer]', () => {
    expect(evaluate(api, req({ path: '/home' }), bearerAlice)).toMatchObject({ effect: 'deny', reason: 'no policy matched' });
    expect(evaluate(api, req({ path: '/home' }), alice)).toMatchObject({ effect: 'allow', policy: 'browsers' });
    expect(evaluate(api, req({ path: '/ops/x' }), machine)).toMatchObject({ effect: 'allow', policy: 'ops' });
    const note = evaluate(api, req({ path: '/home' }), bearerAlice).trace.at(-1)!.notes;
    expect(note).toContain('bearer tokens satisfy allow only with auth_methods: [bearer]');
  });
  it('service with an ip rule that is definitely false moves on, even anonymously', () => {
    const app = appWith([
      { name: 'internal-api', action: 'service', include: [{ scopes: ['x'] }], require: [{ ip_ranges: ['10.0.0.0/8'] }] },
      { name: 'pub', action: 'bypass', include: [{ everyone: true }] },
    ]);
    expect(evaluate(app, req({ clientAddress: '192.0.2.1' }))).toMatchObject({ effect: 'bypass' });
    expect(evaluate(app, req({ clientAddress: '10.0.0.1' }))).toMatchObject({ effect: 'authenticate', bearerOnly: true });
  });
});

describe('three-valued logic', () => {
  it('exclude with an identity selector is unknown anonymously', () => {
    const app = appWith([{ name: 'p', action: 'block', include: [{ everyone: true }], exclude: [{ groups: ['vip'] }] }]);
    expect(evaluate(app, req()).effect).toBe('authenticate');
    expect(evaluate(app, req(), alice).effect).toBe('deny');
    expect(evaluate(app, req(), user({ 'cognito:username': 'v', 'cognito:groups': ['vip'] })).effect).toBe('deny');
  });
  it('an include with a definite yes beats an unknown one (Kleene or)', () => {
    const app = appWith([{ name: 'p', action: 'bypass', include: [{ ip_ranges: ['10.0.0.0/8'] }, { countries: ['DE'] }] }]);
    expect(evaluate(app, req({ country: 'DE' })).effect).toBe('bypass');
  });
  it('anonymous decisions that are deny or bypass hold for every identity', () => {
    const app = appWith([
      { name: 'p', action: 'bypass', paths: ['/p/*'], include: [{ everyone: true }] },
      { name: 'a', action: 'allow', include: [{ groups: ['admins'] }] },
    ]);
    for (const path of ['/p/x', '/q']) {
      const anonymous = evaluate(app, req({ path })).effect;
      if (anonymous === 'deny' || anonymous === 'bypass') {
        for (const who of [alice, bob, carol, machine]) expect(evaluate(app, req({ path }), who).effect).toBe(anonymous);
      }
    }
    expect(evaluate(app, req({ path: '/q' })).effect).toBe('authenticate');
  });
});

describe('reasons remembered per policy', () => {
  it('names the rule that decided each time, whichever decided the time before', () => {
    const app = appWith([{ name: 'teams', action: 'allow', include: [{ groups: ['admins'] }, { emails: ['carol@partner.example'] }] }]);
    const byGroup = 'policy "teams" allows: include[0] groups: admins';
    const byEmail = 'policy "teams" allows: include[1] emails: carol@partner.example';
    expect(evaluate(app, req({ path: '/x' }), alice).reason).toBe(byGroup);
    expect(evaluate(app, req({ path: '/x' }), carol).reason).toBe(byEmail);
    expect(evaluate(app, req({ path: '/x' }), alice).reason).toBe(byGroup);
    expect(evaluate(app, req({ path: '/x' })).reason).toBe('policy "teams" (allow) depends on who you are; sign in');
  });
  it('keeps the reasons of two policies with the same rules apart', () => {
    const app = appWith([
      { name: 'first', action: 'block', paths: ['/a/*'], include: [{ groups: ['admins'] }] },
      { name: 'second', action: 'allow', paths: ['/b/*'], include: [{ groups: ['admins'] }] },
    ]);
    expect(evaluate(app, req({ path: '/a/x' }), alice).reason).toBe('policy "first" blocks: include[0] groups: admins');
    expect(evaluate(app, req({ path: '/b/x' }), alice).reason).toBe('policy "second" allows: include[0] groups: admins');
  });
});
