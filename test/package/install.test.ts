/**
 * The package as an operator gets it: build, `npm pack`, `npm install --omit=dev` of the tarball into an
 * empty folder, then `npx cognito-gateway serve` on the README's Node (the floor, 22.19.0, installed from
 * the registry's `node` package) against the emulator and the demo upstream (started from source here),
 * and a browser sign-in through it. The same commands as the Dockerfile's stages.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoUpstream } from '../../src/cli/demo';
import { type RunningEmulator, startEmulator } from '../../src/emulator';
import { TestBrowser } from '../helpers/browser';
import { BUILD, EMPTY_PACKAGE_JSON, installTarball, pack } from './commands';

const ROOT = resolve(import.meta.dirname, '../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
/** The floor the README names and `engines` declares. */
const FLOOR = PKG.engines.node.replace(/^>=/, '');
const SYSTEM_NODE = '/usr/bin/node';
const POOL = 'us-east-1_DemoPool1';

/** Node 24 (the pinned devDependency) runs npm: it resolves versions against the Node that runs it. */
const toolPath = `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, PATH: toolPath, ...env }, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The floor Node from the registry's `node` package, kept across runs (the install takes ~7 s). */
function floorNodeBin(): string {
  const dir = join(tmpdir(), `cognito-gateway-node-${FLOOR}`);
  const bin = join(dir, 'node_modules/.bin');
  if (!existsSync(join(bin, 'node'))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `node@${FLOOR}`], dir);
  }
  return bin;
}

let work: string;
let app: string;
let tarball: { filename: string; size: number; files: { path: string }[] };
let floorBin: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cgw-package-'));
  app = join(work, 'app');
  mkdirSync(app);
  const [build, ...buildArgs] = BUILD;
  run(build!, buildArgs, ROOT);
  const [npm, ...packArgs] = pack(work);
  const packed = JSON.parse(run(npm!, packArgs, ROOT)) as (typeof tarball)[];
  tarball = packed[0]!;
  writeFileSync(join(app, 'package.json'), `${EMPTY_PACKAGE_JSON}\n`);
  run('npm', installTarball(join(work, tarball.filename)).slice(1), app);
  floorBin = floorNodeBin();
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('is small, holds the build and no tests or tooling', () => {
    const paths = tarball.files.map((f) => f.path);
    expect(tarball.size).toBeLessThan(512 * 1024);
    expect(paths).toContain('dist/cli/main.js');
    expect(paths).toContain('dist/cli/main.js.map');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('LICENSE');
    expect(paths).toContain('config/demo.yaml');
    expect(paths.filter((p) => /^(test|src|bench|scripts|\.ci)\//.test(p) || /\.test\./.test(p))).toEqual([]);
    // The benchmark's history (docs/performance.md) is for the repository, not an installation.
    expect(paths).toContain('docs/architecture.md');
    expect(paths).not.toContain('docs/performance.md');
  });

  it('installs without tsx, TypeScript or esbuild', () => {
    const modules = join(app, 'node_modules');
    expect(existsSync(join(modules, 'cognito-gateway/dist/cli/main.js'))).toBe(true);
    expect(['tsx', 'typescript', 'esbuild', 'vitest', 'wrangler'].filter((m) => existsSync(join(modules, m)))).toEqual([]);
  });

  it('exports createGateway, the Worker and the emulator', () => {
    const script = `
      const lib = await import('cognito-gateway');
      const worker = await import('cognito-gateway/worker');
      const emulator = await import('cognito-gateway/emulator');
      const node = await import('cognito-gateway/node');
      console.log(JSON.stringify([typeof lib.createGateway, typeof lib.loadConfig, typeof worker.default.fetch, typeof emulator.startEmulator, typeof node.startNodeGateway]));`;
    const out = run(join(floorBin, 'node'), ['--input-type=module', '-e', script], app);
    expect(JSON.parse(out)).toEqual(['function', 'function', 'function', 'function', 'function']);
  });

  it('its declarations type a consumer on moduleResolution nodenext (not `any`)', () => {
    const dir = join(app, 'consumer');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['use.ts'],
      }),
    );
    writeFileSync(
      join(dir, 'use.ts'),
      [
        "import { createGateway, loadConfig, type ResolvedConfig } from 'cognito-gateway';",
        "import { startEmulator } from 'cognito-gateway/emulator';",
        "import { createWorker } from 'cognito-gateway/worker';",
        'export const fns = [createGateway, startEmulator, createWorker];',
        "export const config: ResolvedConfig = loadConfig('');",
        'export const wrong: string = loadConfig;',
        '',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: dir, encoding: 'utf8' });
    // Exactly the one deliberate mistake: every import resolved and carries its real type.
    expect(r.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^use\.ts\(6,14\): error TS2322: Type '\(text: string, .*' is not assignable to type 'string'\.$/),
    ]);
    expect(r.status).toBe(1);
  });

  it('its bin refuses the system Node 20 at once: one line, exit 1', () => {
    const r = spawnSync(SYSTEM_NODE, [join(app, 'node_modules/cognito-gateway/bin/cognito-gateway.js'), 'serve', '--config', 'x.yaml'], { encoding: 'utf8' });
    const found = spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    expect(Number(found.split('.')[0])).toBeLessThan(22);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`cognito-gateway needs Node >= ${FLOOR} (found ${found} at ${SYSTEM_NODE})\n`);
  });
});

describe(`npx cognito-gateway serve on Node ${FLOOR} (the floor)`, () => {
  let emulator: RunningEmulator;
  let upstream: { url: string; close(): Promise<void> };
  let gateway: ChildProcess;
  let gatewayUrl: string;
  let output = '';

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, log: false });
    upstream = await startDemoUpstream(0);
    const env = {
      PATH: `${floorBin}:${process.env.PATH}`,
      PORT: '0',
      EMULATOR_URL: emulator.url,
      DEMO_UPSTREAM_URL: upstream.url,
      HOME: process.env.HOME,
      npm_config_cache: process.env.npm_config_cache,
    };
    gateway = spawn('npx', ['--no', 'cognito-gateway', 'serve', '--config', 'node_modules/cognito-gateway/config/demo.yaml'], {
      cwd: app,
      env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: npx runs the gateway as a child, and the whole group is stopped after.
      detached: true,
    });
    gatewayUrl = await new Promise<string>((resolveUrl, reject) => {
      const onData = (d: Buffer) => {
        output += d;
        const url = /"msg":"gateway listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1];
        if (url) resolveUrl(url);
      };
      gateway.stdout!.on('data', onData);
      gateway.stderr!.on('data', onData);
      gateway.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${output}`)));
    });
    const port = new URL(gatewayUrl).port;
    emulator.setClientSettings(POOL, 'demo-gateway', {
      callbackUrls: [`http://127.0.0.1:${port}/_auth/callback`],
      logoutUrls: [`http://127.0.0.1:${port}/`],
    });
  }, 60_000);

  afterAll(async () => {
    if (gateway?.pid && gateway.exitCode === null) {
      const exited = new Promise((r) => gateway.once('exit', r));
      process.kill(-gateway.pid, 'SIGTERM');
      await exited;
    }
    await upstream?.close();
    await emulator?.close();
  });

  it('runs on that Node', () => {
    expect(spawnSync('node', ['--version'], { encoding: 'utf8', env: { PATH: `${floorBin}:${process.env.PATH}` } }).stdout.trim()).toBe(`v${FLOOR}`);
  });

  it('signs a browser in and forwards the identity to the upstream', async () => {
    const b = new TestBrowser();
    const signedIn = await b.signIn(`${gatewayUrl}/`, 'alice', 'Alice-Passw0rd!');
    expect(signedIn.formShown).toBe(true);
    expect(signedIn.res.status).toBe(200);
    const res = await b.request(`${gatewayUrl}/whoami`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { path: string; headers: Record<string, string> };
    expect(echo.path).toBe('/whoami');
    expect(echo.headers['x-auth-user']).toBe('alice');
    expect(echo.headers['x-auth-email']).toBe('alice@example.com');
  });
});
