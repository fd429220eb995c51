/**
 * `npm start` (src/cli/demo.ts) as a newcomer runs it: one process starts the emulator, the demo
 * upstream and the gateway, prints where they are, and the demo works.
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser';
import { freePort } from '../helpers/nginx';

describe('npm start', () => {
  it('starts the whole demo and signs alice in', async () => {
    const [gw, emu, up] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/demo.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PORT: String(gw), EMULATOR_PORT: String(emu), DEMO_UPSTREAM_PORT: String(up) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const until = Date.now() + 20_000;
      while (!out.includes('cognito-gateway demo')) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`demo did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(out).toContain(`http://127.0.0.1:${gw}/`);
      expect(out).toMatch(/alice \(Alice-Passw0rd!\)/);
      // Any PORT works: the demo registers the gateway's real callback and sign-out URLs itself.
      expect(out).toContain(`export COGNITO_ENDPOINT=http://127.0.0.1:${emu}`);
      expect((await fetch(`http://127.0.0.1:${gw}/public/`)).status).toBe(200);
      const b = new TestBrowser();
      const done = await b.signIn(`http://127.0.0.1:${gw}/admin/`, 'alice', 'Alice-Passw0rd!');
      expect(done.res.status).toBe(200);
      expect(await done.res.text()).toContain('alice@example.com');
      // doctor and provision --dry-run against the running demo, with the one line the banner prints.
      const paste = /export (COGNITO_ENDPOINT=\S+ AWS_ACCESS_KEY_ID=\S+ AWS_SECRET_ACCESS_KEY=\S+ EMULATOR_URL=\S+)/.exec(out)![1]!;
      const pasted = Object.fromEntries(paste.split(' ').map((kv) => kv.split('=') as [string, string]));
      for (const command of [['doctor'], ['provision', '--dry-run']]) {
        const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', command[0]!, '--config', 'config/demo.yaml', ...command.slice(1)], {
          cwd: new URL('../..', import.meta.url).pathname,
          env: { ...process.env, ...pasted },
          encoding: 'utf8',
        });
        expect(cli.status, `${command.join(' ')}:\n${cli.stdout}${cli.stderr}`).toBe(0);
        if (command[0] === 'provision') expect(cli.stdout).toContain('identity provider PartnerIdP: exists; left as it is (set IDP_PARTNERIDP_CLIENT_ID');
      }
      expect(out).toContain('npx cognito-gateway provision --config config/demo.yaml --dry-run');
      const out2 = await b.follow(`http://localhost:${gw}/_auth/logout?rd=%2Fpublic%2Fbye`, { stopAt: (u) => u.includes('/public/bye') });
      expect(out2.next).toBe(`http://localhost:${gw}/public/bye`);
    } finally {
      child.kill('SIGTERM');
    }
  }, 40_000);

  it('npm run start:worker runs the same demo with the gateway in workerd, every realm able to sign in', async () => {
    const [gw, emu, up, inspector] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, ['scripts/worker-start.mjs'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PORT: String(gw), EMULATOR_PORT: String(emu), DEMO_UPSTREAM_PORT: String(up), WRANGLER_INSPECTOR_PORT: String(inspector) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // wrangler runs workerd as a child: the whole group is stopped after
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const until = Date.now() + 60_000;
      while (!out.includes('gateway on Cloudflare Workers')) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`start:worker did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await fetch(`http://127.0.0.1:${gw}/public/x`, { headers: { accept: 'application/json' } })).status).toBe(200);
      // The merchant realm's client knows this gateway's callback URL: its authorize request is accepted.
      const start = await fetch(`http://127.0.0.1:${gw}/merchant/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
      const authorize = new URL(start.headers.get('location')!);
      expect(authorize.searchParams.get('client_id')).toBe('demo-merchant');
      const hostedUi = await fetch(authorize, { redirect: 'manual' });
      expect([hostedUi.status, new URL(hostedUi.headers.get('location')!, authorize).pathname]).toEqual([302, '/login']);
    } finally {
      if (child.pid && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(-child.pid, 'SIGTERM');
        await exited;
      }
    }
  }, 90_000);
});
