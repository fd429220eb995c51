import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Identity } from '../../src/identity';
import type { CompiledGateway } from '../../src/gateway/decide';
import { headersConfigSchema } from '../../src/proxy';
import { appsSchema, compileApps, unmatchedSchema, type Decision } from '../../src/policy';
import { alice, bob, carol, decideAs, machine, machineWith } from './helpers';

// The reference YAML lives in src/policy/README.md; this test keeps it honest.
const readme = readFileSync(new URL('../../src/policy/README.md', import.meta.url), 'utf8');
const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
const config = z.strictObject({ unmatched: unmatchedSchema, apps: appsSchema }).parse(parse(yamlBlock));
const compiled: CompiledGateway = {
  apps: compileApps(config.apps),
  unmatched: config.unmatched,
  passwordApps: new Set(),
  appHeaders: {},
  defaultHeaders: headersConfigSchema.parse({}),
};

function decide(method: string, path: string, identity?: Identity, host = 'localhost:8787'): Decision {
  const outcome = decideAs(compiled, { method, host, rawTarget: path }, identity);
  if (outcome.kind !== 'decided') throw new Error(`no decision: ${outcome.kind}`);
  return outcome.decision;
}

type Row = [method: string, path: string, who: string, effect: Decision['effect'], identity: Identity | undefined, extra?: Partial<Decision>];
const rows: Row[] = [
  ['GET', '/public/x', 'anonymous', 'bypass', undefined, { app: 'demo', policy: 'public-pages' }],
  ['GET', '/public/x', 'alice', 'bypass', alice],
  ['GET', '/public/x', 'machine', 'bypass', machine],
  ['GET', '/admin/x', 'anonymous', 'authenticate', undefined, { policy: 'admins-only' }],
  ['GET', '/admin/x', 'alice', 'allow', alice, { policy: 'admins-only', rule: 'include[0] groups: admins' }],
  ['GET', '/admin', 'alice', 'allow', alice, { policy: 'admins-only' }],
  ['GET', '/admin/x', 'bob', 'deny', bob, { policy: 'admins-only-others' }],
  ['GET', '/admin', 'bob', 'deny', bob, { policy: 'admins-only-others' }],
  ['GET', '/admin/../admin/x', 'bob', 'deny', bob, { policy: 'admins-only-others' }],
  ['GET', '/admin/x', 'carol', 'deny', carol],
  ['GET', '/admin/x', 'machine', 'deny', machine],
  ['GET', '/administrator', 'bob', 'allow', bob, { policy: 'signed-in' }],
  ['GET', '/api/x', 'anonymous', 'authenticate', undefined, { policy: 'api-read', bearerOnly: true }],
  ['GET', '/api/x', 'alice', 'authenticate', alice, { policy: 'api-read', bearerOnly: true }],
  ['POST', '/api/x', 'bob', 'authenticate', bob, { policy: 'api-write', bearerOnly: true }],
  ['GET', '/api/x', 'machine', 'allow', machine, { policy: 'api-read', rule: 'include[0] scopes: demo-api/read' }],
  ['HEAD', '/api', 'machine', 'allow', machine, { policy: 'api-read' }],
  ['POST', '/api/x', 'machine', 'allow', machine, { policy: 'api-write' }],
  ['DELETE', '/api/x', 'machine', 'allow', machine, { policy: 'api-write' }],
  ['POST', '/api/x', 'read-only machine', 'deny', machineWith('demo-api/read'), { policy: 'api-write', insufficientScope: ['demo-api/write'] }],
  ['GET', '/api/x', 'write-only machine', 'deny', machineWith('demo-api/write'), { policy: 'api-read', insufficientScope: ['demo-api/read'] }],
  ['GET', '/partners/x', 'anonymous', 'authenticate', undefined, { app: 'partners', policy: 'partner-domain' }],
  ['GET', '/partners/x', 'carol', 'allow', carol, { app: 'partners', rule: 'include[0] email_domains: partner.example' }],
  ['GET', '/partners', 'carol', 'allow', carol, { app: 'partners' }],
  ['GET', '/partners/x', 'alice', 'deny', alice, { app: 'partners', reason: 'no policy matched' }],
  ['GET', '/partners/x', 'bob', 'deny', bob, { app: 'partners' }],
  ['GET', '/partners/x', 'machine', 'deny', machine, { app: 'partners' }],
  ['GET', '/', 'anonymous', 'authenticate', undefined, { policy: 'signed-in' }],
  ['GET', '/docs/x', 'alice', 'allow', alice, { policy: 'signed-in', rule: 'include[0] authenticated' }],
  ['GET', '/docs/x', 'bob', 'allow', bob],
  ['GET', '/docs/x', 'carol', 'allow', carol],
  ['GET', '/docs/x', 'machine', 'deny', machine, { reason: 'no policy matched' }],
];

describe('demo policy table (src/policy/README.md)', () => {
  it.each(rows)('%s %s as %s -> %s', (method, path, _who, effect, identity, extra) => {
    const d = decide(method, path, identity);
    expect(d.effect).toBe(effect);
    expect(d.bearerOnly === true).toBe(extra?.bearerOnly === true);
    if (extra) expect(d).toMatchObject(extra);
  });

  it('parses the README config with defaults and the unmatched status', () => {
    expect(config.unmatched).toBe(404);
    expect(config.apps[0]!.session).toEqual({ absoluteLifetime: 43200, idleTimeout: 3600 });
    expect(config.apps[0]!.caseSensitive).toBe(true);
    expect(config.apps[1]!.login).toEqual({ identityProvider: 'PartnerIdP', extraScopes: ['phone'] });
  });

  it('matches no app on another host', () => {
    expect(decideAs(compiled, { method: 'GET', host: 'evil.example', rawTarget: '/public/x' }, alice)).toMatchObject({ kind: 'refused', refusal: { status: 404, code: 'no_app' } });
  });
});
