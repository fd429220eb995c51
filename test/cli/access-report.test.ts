/**
 * `access-report` against the emulator through the official AWS SDK: per app and policy the rules
 * and the pool users the gateway's own decision lets in, all pages of ListUsers / ListUsersInGroup,
 * users who reach nothing, in JSON, Markdown and an HTML page read back in Chromium.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccessReport, runAccessReport } from '../../src/cli/access-report';
import { readConfigFile } from '../../src/cli/config-file';
import { main } from '../../src/cli/main';
import type { ResolvedConfig } from '../../src/config/load';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { launchChromium } from '../helpers/chromium';

let emulator: RunningEmulator;
let config: ResolvedConfig;
let env: Record<string, string>;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  env = { COGNITO_ENDPOINT: emulator.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', EMULATOR_URL: emulator.url };
  config = await readConfigFile('config/demo.yaml', env);
});
afterAll(() => emulator?.close());

async function report(format: string, outFile?: string) {
  const lines: string[] = [];
  expect(await runAccessReport(config, { users: true, format, outFile, env, out: (l) => lines.push(l) })).toBe(0);
  return lines.join('\n');
}

describe('access-report', () => {
  it('lists the users each allow policy lets in, decided like the gateway', async () => {
    const r = JSON.parse(await report('json')) as AccessReport;
    const policy = (app: string, name: string) => r.apps.find((a) => a.id === app)!.policies.find((p) => p.name === name)!;
    expect(policy('demo', 'admin-area')).toMatchObject({ action: 'allow', paths: ['/admin/*'], include: ['groups: admins'], users: ['alice'] });
    expect(policy('demo', 'admin-area-non-admins')).toMatchObject({ action: 'block', include: ['authenticated'], exclude: ['groups: admins'] });
    expect(policy('demo', 'admin-area-non-admins').users).toBeUndefined();
    expect(policy('partners', 'partner-domain').users).toEqual(['carol']);
    // Federated users (erin) exist in the pool only after their first sign-in, as in Cognito.
    expect(policy('demo', 'signed-in').users!.sort()).toEqual(['alice', 'bob', 'carol']);
    const dave = r.users!.find((u) => u.username === 'dave')!;
    expect([dave.enabled, dave.reaches]).toEqual([false, []]);
    expect(r.users!.find((u) => u.username === 'alice')!.groups).toEqual(['admins', 'staff']);
    expect(r.reachNothing).toEqual([]);
  });

  it('pages through more users than one ListUsers page holds, and names the users who reach nothing', async () => {
    const { CognitoIdentityProviderClient, AdminCreateUserCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    const sdk = new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint: emulator.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    for (let i = 0; i < 65; i++)
      await sdk.send(
        new AdminCreateUserCommand({
          UserPoolId: 'us-east-1_DemoPool1',
          Username: `bulk${i}`,
          UserAttributes: [{ Name: 'email', Value: `bulk${i}@example.com` }],
        }),
      );
    // Only the two original apps, without their catch-all policy: bob and the bulk users reach nothing.
    const strict = {
      ...config,
      apps: config.apps
        .filter((a) => a.id === 'demo' || a.id === 'partners')
        .map((a) => (a.id === 'demo' ? { ...a, policies: a.policies.filter((p) => p.name !== 'signed-in') } : a)),
    };
    const lines: string[] = [];
    await runAccessReport(strict, { users: true, format: 'json', env, out: (l) => lines.push(l) });
    const r = JSON.parse(lines.join('\n')) as AccessReport;
    expect(r.users!.length).toBe(69);
    expect(new Set(r.reachNothing)).toEqual(new Set(['bob', ...Array.from({ length: 65 }, (_, i) => `bulk${i}`)]));
    expect(r.reachNothing!.length).toBe(66);
  });

  it('writes Markdown, and an HTML page whose tables Chromium reads back', async () => {
    const md = await report('markdown');
    expect(md).toContain('| 5 | admin-area | allow | any method /admin/* | include any of: groups: admins | alice |');
    const file = join(mkdtempSync(join(tmpdir(), 'cg-report-')), 'report.html');
    expect(await report('html', file)).toBe(`access report written to ${file}`);
    expect(readFileSync(file, 'utf8')).toMatch(/^<!doctype html>/);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${file}`);
      expect(await page.locator('h1').innerText()).toBe('Access report');
      const row = await page.locator('#app-demo tbody tr').nth(4).locator('td').allInnerTexts();
      expect(row).toEqual(['5', 'admin-area', 'allow', 'any method /admin/*', 'include any of: groups: admins', 'alice']);
      const alice = await page.locator('#users tr', { hasText: 'alice' }).locator('td').allInnerTexts();
      expect(alice[2]).toBe('admins, staff');
    } finally {
      await browser.close();
    }
  });

  it('is a CLI command that refuses a bad --format', async () => {
    const err: string[] = [];
    expect(
      await main(
        ['access-report', '--config', 'config/demo.yaml', '--format', 'pdf'],
        () => {},
        (l) => err.push(l),
      ),
    ).toBe(2);
    expect(err.join('\n')).toBe('access-report: --format is markdown, json or html (got "pdf")');
  });
});
