/**
 * The container image and the systemd unit. No container registry is reachable from the test machines
 * (the base image cannot be pulled), so the image is held to the commands the pack-and-install test
 * runs (test/package/commands.ts); the unit goes through `systemd-analyze verify` and `security`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readmeBlock } from '../helpers/readme';
import { BUILD, EMPTY_PACKAGE_JSON, installTarball, pack } from './commands';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const PKG = JSON.parse(read('package.json')) as { engines: { node: string }; files: string[] };
const FLOOR = PKG.engines.node.replace(/^>=/, '');
const dockerfile = read('Dockerfile');
/** Dockerfile instructions with continuation lines joined. */
const instructions = dockerfile
  .replace(/\s*\\\n\s*/g, ' ')
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'));

describe('the README recipe (Run in production, Deploy on Node)', () => {
  it("is the pack-and-install test's commands", () => {
    const recipe = readmeBlock('sh', 'node-install');
    expect(recipe).toContain(`npm ci && ${BUILD.join(' ')} && npm pack --ignore-scripts `);
    expect(recipe).toContain(`echo '${EMPTY_PACKAGE_JSON}' > package.json`);
    expect(recipe).toContain(`${installTarball('/path/to/cognito-gateway-0.1.0.tgz').join(' ')}\n`);
    expect(recipe).toMatch(/^npx cognito-gateway serve --config \S+$/m);
  });
});

describe('the Dockerfile', () => {
  it('builds from the Node floor, pinned, in two stages', () => {
    expect(instructions.filter((l) => l.startsWith('ARG '))).toEqual([`ARG NODE_IMAGE=node:${FLOOR}-bookworm-slim`]);
    expect(instructions.filter((l) => l.startsWith('FROM '))).toEqual([`FROM $\{NODE_IMAGE} AS build`, `FROM $\{NODE_IMAGE}`]);
  });

  it("runs the pack-and-install test's commands: build, pack, install --omit=dev into an empty folder", () => {
    const runs = instructions.filter((l) => l.startsWith('RUN ')).join('\n');
    expect(runs).toContain(`RUN ${BUILD.join(' ')}`);
    expect(runs).toContain(pack('/pkg').join(' '));
    expect(runs).toContain(`echo '${EMPTY_PACKAGE_JSON}' > package.json && ${installTarball('/tmp/cognito-gateway.tgz').join(' ')}`);
  });

  it("copies every path the package ships, so the image's tarball is the tested one", () => {
    const copied = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    const shipped = PKG.files.filter((f) => !f.startsWith('!') && f !== 'dist/').map((f) => f.replace(/\/$/, ''));
    expect(shipped.filter((f) => !copied.includes(f))).toEqual([]);
    for (const needed of ['package.json', 'package-lock.json', 'src', 'scripts', 'tsconfig.json', 'tsconfig.build.json']) expect(copied).toContain(needed);
  });

  it('runs as the unprivileged user, needs no writable root, takes config by GATEWAY_CONFIG and checks health', () => {
    expect(instructions.filter((l) => l.startsWith('USER '))).toEqual(['USER node']);
    expect(dockerfile).toMatch(/GATEWAY_CONFIG=\/etc\/cognito-gateway\/config\.yaml/);
    // The memory settings the README's Performance section measured, the same as the systemd unit's.
    expect(dockerfile).toMatch(/^\s+NODE_OPTIONS=--max-semi-space-size=16 \\$/m);
    expect(dockerfile).toMatch(/^\s+MALLOC_ARENA_MAX=1 \\$/m);
    expect(instructions.find((l) => l.startsWith('HEALTHCHECK '))).toMatch(
      /CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:'\+process\.env\.PORT\+'\/_auth\/readyz'\)/,
    );
    // The bin itself, not npx (which writes an npm cache).
    expect(instructions.find((l) => l.startsWith('ENTRYPOINT '))).toBe(
      'ENTRYPOINT ["node", "--min-semi-space-size=16", "/opt/cognito-gateway/node_modules/cognito-gateway/bin/cognito-gateway.js"]',
    );
    expect(instructions.find((l) => l.startsWith('CMD '))).toBe('CMD ["serve"]');
  });
});

describe('docker-compose.yaml (the demo)', () => {
  const compose = parse(read('docker-compose.yaml'), { merge: true }) as {
    services: Record<
      string,
      { entrypoint?: string[]; command?: string[]; read_only?: boolean; network_mode?: string; volumes?: string[]; environment?: Record<string, string> }
    >;
  };

  it('runs the gateway, the emulator and the demo upstream from the one image, read-only', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['emulator', 'gateway', 'upstream']);
    for (const s of Object.values(compose.services)) expect(s.read_only).toBe(true);
    expect(compose.services.emulator!.entrypoint).toEqual(['node', '/opt/cognito-gateway/node_modules/cognito-gateway/dist/emulator/main.js']);
    expect(compose.services.upstream!.entrypoint).toEqual(['node', '/opt/cognito-gateway/node_modules/cognito-gateway/dist/demo/main.js']);
    expect(compose.services.gateway!.command).toEqual(['serve']);
    expect(compose.services.gateway!.network_mode).toBe('service:emulator');
    expect(compose.services.gateway!.volumes).toEqual(['./deploy/demo-compose.yaml:/etc/cognito-gateway/config.yaml:ro']);
  });

  it('its gateway config is config/demo.yaml listening on all interfaces', () => {
    const demo = read('config/demo.yaml');
    const body = read('deploy/demo-compose.yaml').split('\n').slice(2).join('\n');
    expect(body.replace(/^ {2}host: 0\.0\.0\.0 .*$/m, '  host: 127.0.0.1')).toBe(demo);
    expect((parse(body) as { listen: { host: string } }).listen.host).toBe('0.0.0.0');
  });

  it('the demo upstream runs alone (src/demo/main.ts) and echoes requests', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DEMO_UPSTREAM_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /demo upstream on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) ok(m[1]!);
        });
        child.once('exit', (code) => fail(new Error(`exited ${code}`)));
      });
      const res = await fetch(`${url}/hello?x=1`, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ method: 'GET', path: '/hello', query: 'x=1' });
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('deploy/cognito-gateway.service', () => {
  const unit = read('deploy/cognito-gateway.service');

  it('is hardened: a dynamic user, a read-only system, no new privileges, restarts on failure, SIGHUP reloads', () => {
    const keys = new Set(unit.split('\n').filter((l) => /^\w+=/.test(l)));
    for (const line of [
      'DynamicUser=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'NoNewPrivileges=yes',
      'PrivateTmp=yes',
      'CapabilityBoundingSet=',
      'Restart=on-failure',
      'RestartPreventExitStatus=2',
      'ExecReload=/bin/kill -HUP $MAINPID',
      'EnvironmentFile=-/etc/cognito-gateway/env',
      'Environment=NODE_OPTIONS=--max-semi-space-size=16',
      'Environment=MALLOC_ARENA_MAX=1',
    ]) {
      expect(keys.has(line), line).toBe(true);
    }
    expect(unit).toMatch(
      /^ExecStart=\/usr\/local\/bin\/node --min-semi-space-size=16 \/opt\/cognito-gateway\/node_modules\/cognito-gateway\/bin\/cognito-gateway\.js serve --config \/etc\/cognito-gateway\/config\.yaml$/m,
    );
  });

  it('passes systemd-analyze verify and scores at most 2.0 on systemd-analyze security', () => {
    // verify wants ExecStart's program to exist: point it at this Node.
    const dir = mkdtempSync(join(tmpdir(), 'cgw-unit-'));
    const file = join(dir, 'cognito-gateway.service');
    writeFileSync(file, unit.replace('ExecStart=/usr/local/bin/node ', `ExecStart=${process.execPath} `));
    const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--threshold=20', '--no-pager', file], { encoding: 'utf8' });
    const exposure = /Overall exposure level for cognito-gateway\.service: (\d+\.\d+)/.exec(security.stdout)?.[1];
    expect(Number(exposure)).toBeLessThanOrEqual(2.0);
    expect(security.status).toBe(0);
  });
});
