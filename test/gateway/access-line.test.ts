/**
 * The forwarded request's access-log line, written as one object literal (handle.ts doneForwarded),
 * is byte for byte the line the generic `done` writes from `outcomeLog` plus `upstreamMs` and
 * `bytes`; and the identity headers with the assertion (identityHeadersFor) are remembered per
 * identity-headers object only while the assertion is the same.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Gateway, RequestInfo } from '../../src/gateway/context';
import type { CompiledGateway } from '../../src/gateway/decide';
import { done, doneForwarded, identityHeadersFor, outcomeLog, type Decided } from '../../src/gateway/handle';
import { createLogger } from '../../src/log';
import { noMetrics } from '../../src/metrics';
import { appsSchema, compileApps } from '../../src/policy';
import { headersConfigSchema, mapIdentityHeaders } from '../../src/proxy';
import { createAssertionSigner } from '../../src/tokens/assertion';
import { alice, carol, decideAs, machine } from '../policy/helpers';
import { README_YAML } from '../policy/readme-table';

const compiled: CompiledGateway = {
  apps: compileApps(appsSchema.parse(parse(README_YAML).apps)),
  unmatched: 404,
  passwordApps: new Set(),
  appHeaders: {},
  defaultHeaders: headersConfigSchema.parse({}),
  assertionHeader: 'x-auth-assertion',
};

function harness() {
  const lines: string[] = [];
  let clock = 1_000;
  const gw = { now: () => clock++, metrics: noMetrics() } as unknown as Gateway;
  const info = {
    startedAt: 900,
    rawTarget: '/reports/q?x=1',
    clientAddress: '203.0.113.9',
    trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', traceparent: '', added: false },
    log: createLogger({ sink: (line) => lines.push(line), now: () => new Date(0) }).child({ requestId: 'req-1' }),
  } as unknown as RequestInfo;
  return { gw, info, lines, setClock: (t: number) => (clock = t) };
}

const req = { method: 'GET' } as Request;
const res = (status: number) => new Response(null, { status });

describe('the forwarded access-log line', () => {
  const cases = [
    { name: 'session allow', identity: alice, rawTarget: '/admin/x' },
    { name: 'bypass, no identity', identity: undefined, rawTarget: '/public/a' },
    { name: 'bearer allow', identity: machine, rawTarget: '/api/x' },
    { name: 'carol', identity: carol, rawTarget: '/administrator' },
  ];
  for (const c of cases) {
    it(`${c.name}: the same bytes as done() with outcomeLog`, () => {
      const outcome = decideAs(compiled, { method: 'GET', host: 'localhost:8787', rawTarget: c.rawTarget }, c.identity) as Decided;
      expect(outcome.kind).toBe('decided');
      for (const bytes of [27, undefined]) {
        const a = harness();
        doneForwarded(a.gw, a.info, req, res(200), outcome, 7, bytes);
        const b = harness();
        done(b.gw, b.info, req, res(200), { ...outcomeLog(outcome), upstreamMs: 7, bytes });
        expect(a.lines).toHaveLength(1);
        expect(a.lines[0]).toBe(b.lines[0]);
      }
    });
  }
  it('writes the fields in the documented order', () => {
    const outcome = decideAs(compiled, { method: 'GET', host: 'localhost:8787', rawTarget: '/admin/x' }, alice) as Decided;
    const a = harness();
    doneForwarded(a.gw, a.info, req, res(200), outcome, 7, 27);
    expect(Object.keys(JSON.parse(a.lines[0]!))).toEqual([
      'time',
      'level',
      'msg',
      'requestId',
      'method',
      'path',
      'status',
      'ms',
      'client',
      'traceId',
      'app',
      'decision',
      'answer',
      'policy',
      'rule',
      'auth',
      'user',
      'sub',
      'upstreamMs',
      'bytes',
    ]);
    expect(JSON.parse(a.lines[0]!).path).toBe('/reports/q');
  });
});

describe('identityHeadersFor', () => {
  const cfg = headersConfigSchema.parse({});
  const identity = Object.freeze({ ...alice });
  const outcome = { app: { id: 'reports' } } as unknown as Decided;

  it('gives the same object while the assertion is the same, a new one when it changes', async () => {
    let jwt = 'jwt-1';
    const gw = { signer: { sign: async () => jwt, reusable: () => undefined } } as unknown as Gateway;
    const base = mapIdentityHeaders(identity, cfg);
    const edits = { path: '/', query: '', identityHeaders: base, assertion: { header: 'X-Auth-Assertion', identity }, dropAuthorization: false };
    const first = await identityHeadersFor(gw, outcome, edits);
    expect(first).toEqual({ ...base, 'X-Auth-Assertion': 'jwt-1' });
    expect(Object.keys(first).at(-1)).toBe('X-Auth-Assertion');
    expect(await identityHeadersFor(gw, outcome, edits)).toBe(first);
    jwt = 'jwt-2';
    const second = await identityHeadersFor(gw, outcome, edits);
    expect(second).not.toBe(first);
    expect(second['X-Auth-Assertion']).toBe('jwt-2');
    expect(first['X-Auth-Assertion']).toBe('jwt-1');
    // Another header name for the same object and assertion is another answer.
    const renamed = await identityHeadersFor(gw, outcome, { ...edits, assertion: { header: 'X-Other', identity } });
    expect(renamed['X-Other']).toBe('jwt-2');
    expect(renamed['X-Auth-Assertion']).toBeUndefined();
  });

  it('answers at once (no promise) once the real signer has an assertion to reuse for that identity and app', async () => {
    const gw = { signer: await createAssertionSigner({ issuer: 'https://gw.example.com' }) } as unknown as Gateway;
    const base = mapIdentityHeaders(identity, cfg);
    const edits = { path: '/', query: '', identityHeaders: base, assertion: { header: 'X-Auth-Assertion', identity }, dropAuthorization: false };
    const signing = identityHeadersFor(gw, outcome, edits);
    expect(signing).toBeInstanceOf(Promise);
    const signed = await signing;
    const reused = identityHeadersFor(gw, outcome, edits);
    expect(reused).not.toBeInstanceOf(Promise);
    expect(reused).toBe(signed);
    expect((reused as Record<string, string>)['X-Auth-Assertion']!.split('.')).toHaveLength(3);
    // Another app is another audience: signed anew.
    expect(identityHeadersFor(gw, { app: { id: 'billing' } } as unknown as Decided, edits)).toBeInstanceOf(Promise);
  });

  it('is the mapped headers themselves without an assertion, and never remembers an object that is not frozen', async () => {
    const gw = { signer: { sign: async () => 'jwt', reusable: () => undefined } } as unknown as Gateway;
    const base = mapIdentityHeaders(identity, cfg);
    expect(await identityHeadersFor(gw, outcome, { path: '/', query: '', identityHeaders: base, dropAuthorization: false })).toBe(base);
    const open: Record<string, string> = { 'X-Auth-User': 'alice' };
    const edits = { path: '/', query: '', identityHeaders: open, assertion: { header: 'X-A', identity }, dropAuthorization: false };
    const a = await identityHeadersFor(gw, outcome, edits);
    open['X-Auth-User'] = 'mallory';
    const b = await identityHeadersFor(gw, outcome, edits);
    expect(a['X-Auth-User']).toBe('alice');
    expect(b['X-Auth-User']).toBe('mallory');
  });
});
