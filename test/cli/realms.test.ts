/**
 * `explain` and `access-report` say which realm (app client) an app belongs to (config/realms.yaml).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { buildAccessReport } from '../../src/cli/access-report';
import { readConfigFile } from '../../src/cli/config-file';
import { main } from '../../src/cli/main';

async function run(...argv: string[]) {
  const lines: string[] = [];
  const code = await main(
    argv,
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  return { code, lines };
}

describe('realms in the CLI', () => {
  it("explain names the app's realm and client when there are several", async () => {
    const merchant = await run('explain', '--config', 'config/realms.yaml', '--user', 'alice', 'GET', 'https://gw.example/acme/orders');
    expect(merchant.code).toBe(0);
    expect(merchant.lines).toContain('realm     merchant (app client demo-merchant; a session of another realm does not count here)');
    const buyer = await run('explain', '--config', 'config/realms.yaml', '--user', 'alice', 'GET', 'https://gw.example/shop');
    expect(buyer.lines).toContain('realm     buyer (app client demo-gateway; a session of another realm does not count here)');
    // The demo ships both realms: its store back office is the merchant's.
    const demo = await run('explain', '--config', 'config/demo.yaml', '--user', 'alice', 'GET', 'https://gw.example/acme/orders');
    expect(demo.lines).toContain('realm     merchant (app client demo-merchant; a session of another realm does not count here)');
    // One realm only: no realm line.
    const raw = parse(readFileSync('config/demo.yaml', 'utf8')) as { apps: Array<{ idp?: unknown }> };
    raw.apps = raw.apps.filter((a) => !a.idp);
    const single = join(mkdtempSync(join(tmpdir(), 'cg-realms-')), 'one-realm.yaml');
    writeFileSync(single, stringify(raw));
    const one = await run('explain', '--config', single, '--user', 'alice', 'GET', 'https://gw.example/shop');
    expect(one.code).toBe(0);
    expect(one.lines.some((l) => l.startsWith('realm'))).toBe(false);
  });

  it('check lists the realms with their app clients and apps', async () => {
    const r = await run('check', '--config', 'config/realms.yaml');
    expect(r.code).toBe(0);
    expect(r.lines).toContain(
      'realms: buyer (app client demo-gateway: partners, demo); merchant (app client demo-merchant: merchant, store-acme, store-globex)',
    );
  });

  it('access-report lists each app with its realm and app client', async () => {
    const config = await readConfigFile('config/realms.yaml', {});
    const report = buildAccessReport(config, undefined, new Date('2026-12-01T00:00:00Z'));
    expect(report.apps.map((a) => [a.id, a.realm.name, a.realm.clientId])).toEqual([
      ['merchant', 'merchant', 'demo-merchant'],
      ['store-acme', 'merchant', 'demo-merchant'],
      ['store-globex', 'merchant', 'demo-merchant'],
      ['partners', 'buyer', 'demo-gateway'],
      ['demo', 'buyer', 'demo-gateway'],
    ]);
  });
});
