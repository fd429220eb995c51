/**
 * Config reload on Node: through RunningGateway.reload() and through a real SIGHUP to a gateway
 * process. A valid new config takes effect without dropping connections; an invalid one is refused
 * and the old config stays in force.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoUpstream } from '../../src/cli/demo';
import { readConfigFile } from '../../src/cli/config-file';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { freePort } from '../helpers/nginx';

const SECRET = 'reload-test-cookie-secret-0123456789abcdef';
const configText = (upstream: string, publicPaths: string) => `
idp:
  issuer: http://127.0.0.1:9/us-east-1_Reload1
  userPoolId: us-east-1_Reload1
  clientId: reload-client
session:
  secrets: ["${SECRET}"]
apps:
  - id: app
    upstream: ${upstream}
    policies:
      - name: public
        action: bypass
        paths: ["${publicPaths}"]
        include: [{ everyone: true }]
      - name: signed-in
        action: allow
        include: [{ authenticated: true }]
`;

let dir: string;
let upstream: { url: string; close(): Promise<void> };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cgw-reload-'));
  upstream = await startDemoUpstream(0);
});
afterAll(() => upstream?.close());

describe('reload()', () => {
  let gw: RunningGateway;
  const logger = createMemoryLogger();
  afterAll(() => gw?.close());

  it('applies a valid config, refuses an invalid one, and keeps connections open', async () => {
    const file = join(dir, 'gw.yaml');
    writeFileSync(file, configText(upstream.url, '/public/*'));
    gw = await startNodeGateway({ config: await readConfigFile(file, {}), loadConfig: () => readConfigFile(file, {}), port: 0, host: '127.0.0.1', logger });
    const agent = new Agent({ connections: 1, pipelining: 1 });
    const get = async (path: string) => {
      const res = await request(`${gw.url}${path}`, { dispatcher: agent, headers: { accept: 'application/json' } });
      await res.body.dump();
      return res.statusCode;
    };
    expect(await get('/public/a')).toBe(200);
    expect(await get('/open/a')).toBe(401);

    writeFileSync(file, configText(upstream.url, '/open/*'));
    expect(await gw.reload()).toBe(true);
    expect(await get('/open/a')).toBe(200); // same keep-alive connection
    expect(await get('/public/a')).toBe(401);

    writeFileSync(file, configText(upstream.url, '/open/*').replace('action: bypass', 'action: maybe'));
    expect(await gw.reload()).toBe(false);
    expect(await get('/open/a')).toBe(200);
    expect(logger.lines.some((l) => l.msg === 'config reload refused; the running config stays in force' && String(l.error).includes('action'))).toBe(true);
    await agent.close();
  });
});

describe('a gateway process reloads its config file', () => {
  it.each([
    ['on SIGHUP', false],
    ['on file change with --watch', true],
  ])(
    '%s',
    async (_name, watchFile) => {
      const file = join(dir, `reload-${watchFile ? 'watch' : 'hup'}.yaml`);
      writeFileSync(file, configText(upstream.url, '/public/*'));
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve.ts', '--config', file, ...(watchFile ? ['--watch'] : [])], {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      try {
        const url = `http://127.0.0.1:${port}`;
        const until = Date.now() + 15_000;
        while (!out.includes('gateway listening')) {
          if (Date.now() > until || child.exitCode !== null) throw new Error(`gateway did not start: ${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const status = async (path: string) => (await fetch(`${url}${path}`, { headers: { accept: 'application/json' } })).status;
        expect(await status('/open/x')).toBe(401);
        writeFileSync(file, configText(upstream.url, '/open/*'));
        if (!watchFile) child.kill('SIGHUP');
        const until2 = Date.now() + 10_000;
        while (!out.includes('config reloaded')) {
          if (Date.now() > until2) throw new Error(`no reload: ${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(await status('/open/x')).toBe(200);
        // Logs are JSON lines without secrets.
        expect(out).not.toContain(SECRET);
        expect(readFileSync(file, 'utf8')).toContain(SECRET);
      } finally {
        child.kill('SIGTERM');
      }
    },
    30_000,
  );
});
