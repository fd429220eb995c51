/**
 * The Worker entry's own logic, on Node (it is Web-API only): the gateway is built once per isolate
 * and rebuilt when the config text or a var changes; a failed build is retried; raw targets keep dot
 * segments; the service-upstream map. Its behaviour in workerd: entry.test.ts and scenarios.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWorker, parseServiceUpstreams, rawTargetOf } from '../../src/runtime/worker';
import { DEMO_CONFIG } from '../helpers/stack';

const vars = { EMULATOR_URL: 'http://127.0.0.1:9', DEMO_UPSTREAM_URL: 'http://127.0.0.1:9' };

afterEach(() => vi.restoreAllMocks());

function builds(spy: { mock: { calls: unknown[][] } }) {
  return spy.mock.calls.filter((c) => String(c[0]).includes('"gateway built"')).length;
}

describe('createWorker', () => {
  it('builds once per isolate and rebuilds when the config or a var changes', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const worker = createWorker();
    const hit = async (env: Record<string, string>) => (await worker.fetch(new Request('http://gw.test/_auth/healthz'), env)).status;
    const env = { ...vars, GATEWAY_CONFIG: DEMO_CONFIG };
    expect(await Promise.all([hit(env), hit(env), hit({ ...env })])).toEqual([200, 200, 200]);
    expect(builds(log)).toBe(1);
    expect(await hit({ ...env, GATEWAY_CONFIG: DEMO_CONFIG.replace('unmatched: 404', 'unmatched: 403') })).toBe(200);
    expect(builds(log)).toBe(2);
    expect(await hit({ ...env, GATEWAY_CONFIG: DEMO_CONFIG.replace('unmatched: 404', 'unmatched: 403'), GATEWAY_COOKIE_SECRETS: 'x'.repeat(40) })).toBe(200);
    expect(builds(log)).toBe(3);
  });

  it('does not keep a failed build, and prefers GATEWAY_CONFIG over a bundled file', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const worker = createWorker({ bundledConfig: 'apps: [', bundledSource: 'bundled.yaml' });
    const bad = await worker.fetch(new Request('http://gw.test/x', { headers: { accept: 'application/json' } }), vars);
    expect(bad.status).toBe(500);
    expect(err.mock.calls.some((c) => String(c[0]).includes('bundled.yaml is invalid'))).toBe(true);
    const good = await worker.fetch(new Request('http://gw.test/_auth/healthz'), { ...vars, GATEWAY_CONFIG: DEMO_CONFIG });
    expect(good.status).toBe(200);
    expect(builds(log)).toBe(1);
  });

  it('keeps the raw target and parses service upstreams', () => {
    expect(rawTargetOf('http://gw.test/public/%2e%2e/admin/../x?y=1#frag')).toBe('/public/%2e%2e/admin/../x?y=1');
    expect(rawTargetOf('http://gw.test')).toBe('/');
    expect([...parseServiceUpstreams(' https://app.internal=APP, http://b.internal:8080/=B ')]).toEqual([
      ['https://app.internal', 'APP'],
      ['http://b.internal:8080', 'B'],
    ]);
    expect(() => parseServiceUpstreams('APP')).toThrow(/ORIGIN=BINDING/);
  });
});

describe('wrangler.toml', () => {
  it('its example GATEWAY_CONFIG is a valid config once the vars and secrets are set', async () => {
    const { readFileSync } = await import('node:fs');
    const { loadConfig } = await import('../../src/config/load');
    const toml = readFileSync(new URL('../../wrangler.toml', import.meta.url), 'utf8');
    const block = /^# GATEWAY_CONFIG = """\n([\s\S]*?)^# """/m.exec(toml)?.[1];
    expect(block, 'wrangler.toml has a commented GATEWAY_CONFIG block').toMatch(/^# publicUrl: https:\/\/gateway\.example\.com$/m);
    const text = block!.replace(/^# ?/gm, '');
    const config = loadConfig(
      text,
      {
        COGNITO_USER_POOL_ID: 'eu-west-1_AbC123xyz',
        COGNITO_CLIENT_ID: 'abc',
        APP_ORIGIN: 'https://origin.example.com',
        GATEWAY_COOKIE_SECRETS: 'y'.repeat(40),
      },
      'wrangler.toml',
    );
    expect(config.issuers[0]).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz');
    expect(config.apps.map((a) => a.id)).toEqual(['app']);
  });
});
