/**
 * The reference config in src/policy/README.md and the decisions its table states, as rows. Read by
 * test/policy/demo.test.ts (the decision function) and test/agreement (the gateway over HTTP and
 * `explain`, row by row).
 */
import { readFileSync } from 'node:fs';
import type { Identity } from '../../src/identity';
import type { Decision } from '../../src/policy';
import { alice, bob, carol, machine, machineWith } from './helpers';

const readme = readFileSync(new URL('../../src/policy/README.md', import.meta.url), 'utf8');
/** The YAML block of the README (unmatched + apps). */
export const README_YAML = /```yaml\n([\s\S]*?)```/.exec(readme)![1]!;

export type ReadmeRow = [method: string, path: string, who: string, effect: Decision['effect'], identity: Identity | undefined, extra?: Partial<Decision>];
export const README_ROWS: ReadmeRow[] = [
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
