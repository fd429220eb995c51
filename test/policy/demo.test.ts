import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Identity } from '../../src/identity';
import type { CompiledGateway } from '../../src/gateway/decide';
import { headersConfigSchema } from '../../src/proxy';
import { appsSchema, compileApps, unmatchedSchema, type Decision } from '../../src/policy';
import { alice, decideAs } from './helpers';
import { README_ROWS, README_YAML } from './readme-table';

// The reference YAML lives in src/policy/README.md; this test keeps it honest.
const config = z.strictObject({ unmatched: unmatchedSchema, apps: appsSchema }).parse(parse(README_YAML));
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

describe('demo policy table (src/policy/README.md)', () => {
  it.each(README_ROWS)('%s %s as %s -> %s', (method, path, _who, effect, identity, extra) => {
    const d = decide(method, path, identity);
    expect(d.effect).toBe(effect);
    expect(d.bearerOnly === true).toBe(extra?.bearerOnly === true);
    if (extra) expect(d).toMatchObject(extra);
  });

  it('parses the README config with defaults and the unmatched status', () => {
    expect(config.unmatched).toBe(404);
    expect(config.apps[0]!.session).toEqual({ absoluteLifetime: 43200, idleTimeout: 3600 });
    expect(config.apps[0]!.caseSensitive).toBeUndefined();
    expect(config.apps[0]!.unusualPaths).toBe('refuse');
    expect(config.apps[1]!.login).toEqual({ identityProvider: 'PartnerIdP', extraScopes: ['phone'] });
  });

  it('matches no app on another host', () => {
    expect(decideAs(compiled, { method: 'GET', host: 'evil.example', rawTarget: '/public/x' }, alice)).toMatchObject({
      kind: 'refused',
      refusal: { status: 404, code: 'no_app' },
    });
  });
});
