import { describe, expect, it } from 'vitest';
import { decisionExitCode, evaluate, formatTrace, identityFromExplainArgs, withReason, type PolicyRequest } from '../../src/policy';
import type { CompiledGateway } from '../../src/gateway/decide';
import { headersConfigSchema } from '../../src/proxy';
import { decideAs } from './helpers';
import { appWith } from './helpers';

const app = appWith([
  { name: 'public-pages', action: 'bypass', paths: ['/public/*'], include: [{ everyone: true }] },
  { name: 'admins-only', action: 'allow', paths: ['/admin/*'], include: [{ groups: ['admins'] }] },
  { name: 'api', action: 'service', paths: ['/api/*'], include: [{ scopes: ['demo-api/read'] }] },
]);

describe('identityFromExplainArgs', () => {
  it('builds a session identity from CLI-style options', () => {
    const id = identityFromExplainArgs({ user: 'alice', groups: 'admins, staff', email: 'a@b.c', claims: { 'custom:tenant': 'acme' } });
    expect(id).toMatchObject({
      username: 'alice',
      sub: 'alice',
      groups: ['admins', 'staff'],
      email: 'a@b.c',
      emailVerified: true,
      authMethod: 'session',
      identityProviders: ['COGNITO'],
      machine: false,
    });
    expect(id.claims['custom:tenant']).toBe('acme');
  });
  it('builds a machine bearer identity from a client id and scopes', () => {
    const id = identityFromExplainArgs({ clientId: 'demo-machine', scopes: 'demo-api/read demo-api/write' });
    expect(id).toMatchObject({ authMethod: 'bearer', machine: true, scopes: ['demo-api/read', 'demo-api/write'], clientId: 'demo-machine' });
  });
  it('honours emailVerified false and an explicit auth method', () => {
    expect(identityFromExplainArgs({ user: 'u', email: 'u@x.y', emailVerified: false, authMethod: 'basic' })).toMatchObject({
      emailVerified: false,
      authMethod: 'basic',
    });
  });
});

describe('formatTrace', () => {
  it('explains an allow, naming every policy considered and the rule', () => {
    const d = evaluate(app, { method: 'GET', path: '/admin/x', host: 'h' }, identityFromExplainArgs({ user: 'alice', groups: ['admins'] }));
    expect(formatTrace(d)).toBe(
      [
        'app: app',
        '  1. public-pages [bypass] skipped: path /admin/x matches none of /public/*',
        '  2. admins-only [allow] applies: path matches /admin/*, any method',
        '       include[0] groups: admins -> yes',
        '     => yes',
        'decision: ALLOW by policy "admins-only" (include[0] groups: admins)',
        'reason: policy "admins-only" allows: include[0] groups: admins',
      ].join('\n'),
    );
    expect(decisionExitCode(d)).toBe(0);
  });
  it('explains an authenticate with unknown rules, and a default deny', () => {
    const anonymous = evaluate(app, { method: 'GET', path: '/admin/x', host: 'h' });
    expect(formatTrace(anonymous)).toContain('include[0] groups: admins -> unknown (needs sign-in)');
    expect(formatTrace(anonymous)).toContain('decision: AUTHENTICATE by policy "admins-only"');
    expect(decisionExitCode(anonymous)).toBe(1);
    const none = evaluate(app, { method: 'GET', path: '/other', host: 'h' }, identityFromExplainArgs({ user: 'bob' }));
    expect(formatTrace(none)).toMatch(/decision: DENY\nreason: no policy matched$/);
    expect(decisionExitCode(none)).toBe(1);
  });
  it('shows bearer-only and insufficient scope answers', () => {
    const session = evaluate(app, { method: 'GET', path: '/api/x', host: 'h' }, identityFromExplainArgs({ user: 'alice' }));
    expect(formatTrace(session)).toContain('note: service accepts only bearer tokens');
    expect(formatTrace(session)).toContain('bearer only: a browser is never sent to sign in here');
    const token = evaluate(app, { method: 'GET', path: '/api/x', host: 'h' }, identityFromExplainArgs({ clientId: 'm', scopes: 'other' }));
    expect(formatTrace(token)).toContain('missing scope: demo-api/read');
  });
});

describe('the trace is made when first read (the gateway never reads it)', () => {
  const admin = identityFromExplainArgs({ user: 'alice', groups: ['admins'] });
  const expected = [
    { policy: 'public-pages', action: 'bypass', applies: false, why: 'path /admin/x matches none of /public/*' },
    {
      policy: 'admins-only',
      action: 'allow',
      applies: true,
      why: 'path matches /admin/*, any method',
      result: 'yes',
      rules: [{ rule: 'include[0] groups: admins', result: 'yes' }],
    },
  ];

  it('read after the other fields, it is the trace of every policy considered; read again, the same array', () => {
    const d = evaluate(app, { method: 'GET', path: '/admin/x', host: 'h' }, admin);
    expect([d.effect, d.policy, d.rule, d.reason]).toEqual([
      'allow',
      'admins-only',
      'include[0] groups: admins',
      'policy "admins-only" allows: include[0] groups: admins',
    ]);
    expect(d.trace).toEqual(expected);
    expect(d.trace).toBe(d.trace);
  });

  it('does not depend on what was read first, nor on the request object changing afterwards', () => {
    const request: PolicyRequest = { method: 'get', path: '/admin/x', host: 'h', clientAddress: '10.0.0.1' };
    const traceFirst = evaluate(app, request, admin);
    const traceText = formatTrace(traceFirst);
    const fieldsFirst = evaluate(app, request, admin);
    const fields = [fieldsFirst.effect, fieldsFirst.policy, fieldsFirst.rule, fieldsFirst.reason];
    request.path = '/public/x';
    request.method = 'POST';
    expect(formatTrace(fieldsFirst)).toBe(traceText);
    expect(fields).toEqual([traceFirst.effect, traceFirst.policy, traceFirst.rule, traceFirst.reason]);
    expect(fieldsFirst.trace).toEqual(expected);
  });

  it('withReason changes the reason only, and keeps the trace', () => {
    const d = evaluate(app, { method: 'GET', path: '/api/x', host: 'h' }, identityFromExplainArgs({ clientId: 'm', scopes: 'other' }));
    const changed = withReason(d, 'another reason');
    expect(changed).toEqual({ ...d, reason: 'another reason', trace: d.trace });
    expect([changed.effect, changed.insufficientScope, changed.reason]).toEqual(['deny', ['demo-api/read'], 'another reason']);
    expect(changed.trace).toEqual(d.trace);
    expect(Object.keys(changed).sort()).toEqual(['app', 'effect', 'insufficientScope', 'policy', 'reason', 'rule', 'trace']);
  });
});

describe("decide (the gateway's decision function)", () => {
  const compiled: CompiledGateway = { apps: [app], unmatched: 404, passwordApps: new Set(), appHeaders: {}, defaultHeaders: headersConfigSchema.parse({}) };
  it('normalises, matches and evaluates; bad paths are 400; /_auth/ is reserved', () => {
    expect(decideAs(compiled, { method: 'GET', host: 'h', rawTarget: '/public/%2e%2e/admin/x?y' })).toMatchObject({
      kind: 'decided',
      path: '/admin/x',
      query: '?y',
      answer: 'sign-in',
      returnTo: '/admin/x?y',
      decision: { effect: 'authenticate', policy: 'admins-only' },
    });
    expect(decideAs(compiled, { method: 'GET', host: 'h', rawTarget: '/public/..%2fadmin' })).toMatchObject({
      kind: 'refused',
      refusal: { status: 400, code: 'bad_path' },
    });
    expect(decideAs(compiled, { method: 'GET', host: 'h', rawTarget: '/_auth/anything' })).toMatchObject({
      kind: 'refused',
      refusal: { status: 404, code: 'not_found' },
    });
    expect(decideAs(compiled, { method: 'POST', host: 'h', rawTarget: '/_auth/login' })).toMatchObject({
      kind: 'refused',
      refusal: { status: 405, code: 'method_not_allowed' },
      allow: 'GET, HEAD',
    });
    expect(decideAs(compiled, { method: 'GET', host: 'h', rawTarget: '/_auth/./login?rd=/' })).toMatchObject({
      kind: 'endpoint',
      endpoint: 'login',
      query: '?rd=/',
    });
  });
});
