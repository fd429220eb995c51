/**
 * decide's two steps: given the anonymous step's needs-credential outcome, the step with an identity
 * reuses that step's work (path, app, spelling checks) and answers exactly as without it — on a table
 * of requests over the README reference config and a config with hosts, CORS and case folding; the
 * first outcome is reused only for the same request (target, method, host, client address, country,
 * apps), and the preflight check, which reads headers, is made again.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { decide, type AuthResult, type CompiledGateway, type Outcome, type RequestView } from '../../src/gateway/decide';
import type { Identity } from '../../src/identity';
import { appsSchema, compileApps, formatTrace } from '../../src/policy';
import { headersConfigSchema } from '../../src/proxy';
import { alice, bob, carol, compile, machine, machineWith } from '../policy/helpers';
import { README_YAML } from '../policy/readme-table';

const gateway = (apps: CompiledGateway['apps']): CompiledGateway => ({
  apps,
  unmatched: 404,
  passwordApps: new Set(['crm']),
  appHeaders: {},
  defaultHeaders: headersConfigSchema.parse({}),
  assertionHeader: 'x-auth-assertion',
});
const readme = gateway(compileApps(appsSchema.parse(parse(README_YAML).apps)));
const mixed = gateway(
  compile([
    {
      id: 'crm',
      name: 'CRM',
      upstream: 'http://127.0.0.1:9000',
      hosts: ['crm.example.com', '*.crm.example.com'],
      cors: { allowedOrigins: ['https://app.example.com'], allowCredentials: true },
      policies: [
        { name: 'crm-admin', action: 'allow', paths: ['/Admin/*'], include: [{ groups: ['admins'] }] },
        { name: 'crm-users', action: 'allow', include: [{ authenticated: true }] },
      ],
    },
    {
      id: 'docs',
      name: 'Docs',
      upstream: 'http://127.0.0.1:9000',
      pathPrefix: '/docs',
      policies: [
        { name: 'docs-office', action: 'allow', include: [{ ip_ranges: ['10.0.0.0/8'] }], require: [{ authenticated: true }] },
        { name: 'docs-staff', action: 'allow', paths: ['/docs/**/edit'], include: [{ groups: ['staff'] }] },
        { name: 'docs-no-posts', action: 'block', methods: ['POST'], include: [{ everyone: true }] },
        { name: 'docs-de', action: 'block', include: [{ countries: ['DE'] }] },
        { name: 'docs-readers', action: 'allow', include: [{ authenticated: true }] },
      ],
    },
    {
      id: 'root',
      name: 'Root',
      upstream: 'http://127.0.0.1:9000',
      policies: [
        { name: 'lower-admin', action: 'block', paths: ['/admin/*'], include: [{ authenticated: true }], exclude: [{ groups: ['admins'] }] },
        { name: 'everything', action: 'allow', include: [{ authenticated: true }] },
      ],
    },
  ]),
);

function viewOf(over: Partial<RequestView> & { identity?: Identity; headers?: Headers }): RequestView {
  const { identity, ...rest } = over;
  return {
    method: 'GET',
    host: 'localhost:8787',
    rawTarget: '/',
    origin: 'http://localhost:8787',
    proto: 'http',
    headers: new Headers({ accept: 'text/html' }),
    credentials: {
      bearer: identity?.authMethod === 'bearer' ? 'token' : undefined,
      basic: identity?.authMethod === 'basic' ? 'Basic x' : undefined,
      session: identity?.authMethod === 'session',
    },
    canRedirect: true,
    ...rest,
  };
}

/** An outcome as text: every field, the decision's trace and explain's rendering of it, never the reuse state. */
function text(outcome: Outcome): string {
  const trace = 'decision' in outcome ? formatTrace(outcome.decision) : '';
  return JSON.stringify(outcome, (key, value) => (key === 'prepared' ? undefined : key === 'app' && typeof value === 'object' ? value.id : value)) + trace;
}

const IDENTITIES: Array<Identity | undefined> = [undefined, alice, bob, carol, machine, machineWith('demo-api/read'), { ...bob, authMethod: 'basic' }];
const TARGETS = [
  '/',
  '/public/x',
  '/admin',
  '/admin/x',
  '/Admin/x',
  '/ADMIN/',
  '/api/x',
  '/api/x?q=1',
  '/docs/a/edit',
  '/docs/x',
  '/partners/x',
  '/a/../admin/x',
  '/x#frag',
];
const REQUESTS = [
  { host: 'localhost:8787' },
  { host: 'crm.example.com', clientAddress: '10.1.2.3' },
  { host: 'eu.crm.example.com:443', country: 'DE' },
  { host: 'localhost:8787', method: 'POST', clientAddress: '192.0.2.1' },
  { host: 'crm.example.com', method: 'OPTIONS', headers: new Headers({ origin: 'https://app.example.com', 'access-control-request-method': 'GET' }) },
];

describe('decide with the first outcome', () => {
  it.each([
    ['README config', readme],
    ['hosts, CORS, case folding', mixed],
  ] as const)('answers as without it (%s)', (_name, compiled) => {
    let secondSteps = 0;
    for (const request of REQUESTS)
      for (const rawTarget of TARGETS)
        for (const identity of IDENTITIES) {
          const view = viewOf({ ...request, rawTarget, identity });
          const first = decide(view, compiled);
          if (first.kind !== 'needs-credential') continue;
          const auth: AuthResult = { credential: first.credential, identity, accessToken: 'access-token' };
          expect(text(decide(view, compiled, auth, first)), `${view.method} ${view.host}${rawTarget}`).toBe(text(decide(view, compiled, auth)));
          secondSteps++;
        }
    expect(secondSteps).toBe(compiled === readme ? 120 : 281);
  });

  it('is reused only for the same request: another target, method, host, client address, country or config is decided afresh', () => {
    const view = viewOf({ rawTarget: '/docs/x', identity: bob, clientAddress: '192.0.2.1', country: 'US' });
    const first = decide(view, mixed);
    expect(first.kind).toBe('needs-credential');
    const auth: AuthResult = { credential: 'session', identity: bob };
    expect(decide(view, mixed, auth, first)).toMatchObject({ kind: 'decided', app: { id: 'docs' }, decision: { policy: 'docs-readers' } });
    const others: RequestView[] = [
      { ...view, rawTarget: '/admin/x' },
      { ...view, method: 'POST' },
      { ...view, host: 'crm.example.com' },
      { ...view, clientAddress: '10.1.2.3' },
      { ...view, country: 'DE' },
    ];
    const answers = others.map((other) => {
      const outcome = decide(other, mixed, auth, first);
      expect(text(outcome)).toBe(text(decide(other, mixed, auth)));
      return outcome.kind === 'decided' ? `${outcome.app.id} ${outcome.decision.policy} ${outcome.answer}` : outcome.kind;
    });
    expect(answers).toEqual(['root lower-admin deny', 'docs docs-no-posts deny', 'crm crm-users allow', 'docs docs-office allow', 'docs docs-de deny']);
    const reloaded = gateway(compileApps(appsSchema.parse(parse(README_YAML).apps)));
    expect(text(decide(view, reloaded, auth, first))).toBe(text(decide(view, reloaded, auth)));
  });

  it('makes the preflight check again (it reads headers, which the first step did not find in this view)', () => {
    const asked = viewOf({ host: 'crm.example.com', method: 'OPTIONS', rawTarget: '/x', identity: alice });
    const first = decide(asked, mixed);
    expect(first.kind).toBe('needs-credential');
    const preflight = { ...asked, headers: new Headers({ origin: 'https://app.example.com', 'access-control-request-method': 'GET' }) };
    const outcome = decide(preflight, mixed, { credential: 'session', identity: alice }, first);
    expect(outcome).toMatchObject({ kind: 'preflight', app: { id: 'crm' }, path: '/x' });
    expect(text(outcome)).toBe(text(decide(preflight, mixed, { credential: 'session', identity: alice })));
  });
});
