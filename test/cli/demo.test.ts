/**
 * `npm start` (src/cli/demo.ts) as a newcomer runs it: one process starts the emulator, the demo
 * upstream and the gateway, prints where they are, and the demo works.
 */
import { spawn } from 'node:child_process';
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
      const out2 = await b.follow(`http://localhost:${gw}/_auth/logout?rd=%2Fpublic%2Fbye`, { stopAt: (u) => u.includes('/public/bye') });
      expect(out2.next).toBe(`http://localhost:${gw}/public/bye`);
    } finally {
      child.kill('SIGTERM');
    }
  }, 40_000);
});
