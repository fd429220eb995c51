/**
 * `npm test` sets up its own system packages (scripts/setup-test-deps.mjs, run by `pretest`): it
 * installs what is missing when it can and otherwise stops with the one command to run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { missingPackages, SYSTEM_PACKAGES, setupPlan } from '../../scripts/setup-test-deps.mjs';

describe('the pretest system-package step', () => {
  it('runs from pretest after the Node check, and .ci/run only installs npm packages and runs npm test', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe('node scripts/check-node.mjs && node scripts/setup-test-deps.mjs');
    const ci = readFileSync('.ci/run', 'utf8');
    expect(ci).not.toMatch(/apt-get/);
    expect(ci.match(/^npm .*$/gm)).toEqual(['npm ci --no-audit --no-fund', 'npm test']);
  });

  it('knows the packages the suites drive, and finds each by its program', () => {
    expect(SYSTEM_PACKAGES.map((p) => p.name)).toEqual(['chromium', 'nginx', 'caddy', 'redis-server', 'systemd']);
    expect(missingPackages(SYSTEM_PACKAGES, (p) => ['/usr/sbin/nginx', '/usr/local/bin/caddy', '/usr/bin/systemd-analyze'].includes(p))).toEqual([
      'chromium',
      'redis-server',
    ]);
  });

  it('installs as root, through passwordless sudo otherwise, and stops with one command when it cannot', () => {
    const missing = ['chromium', 'redis-server'];
    expect(setupPlan({ missing: [], isRoot: false, hasAptGet: false, hasSudo: false })).toEqual({ action: 'none' });
    expect(setupPlan({ missing, isRoot: true, hasAptGet: true, hasSudo: false })).toEqual({
      action: 'install',
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium', 'redis-server'],
      ],
    });
    expect(setupPlan({ missing, isRoot: false, hasAptGet: true, hasSudo: true })).toMatchObject({
      action: 'install',
      commands: [['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update', '-qq'], expect.any(Array)],
    });
    expect(setupPlan({ missing, isRoot: false, hasAptGet: true, hasSudo: false })).toEqual({
      action: 'stop',
      message: 'the tests need chromium redis-server: run  sudo apt-get update && sudo apt-get install -y chromium redis-server  then rerun npm test',
    });
    expect(setupPlan({ missing, isRoot: false, hasAptGet: false, hasSudo: true })).toMatchObject({
      action: 'stop',
      message: expect.stringMatching(/^the tests need chromium redis-server \(Debian/),
    });
  });

  it('finds everything on this machine: the step exits 0 and installs nothing', () => {
    const r = spawnSync(process.execPath, ['scripts/setup-test-deps.mjs', '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('--check names what is missing and exits 1', () => {
    const r = spawnSync(process.execPath, ['scripts/setup-test-deps.mjs', '--check'], {
      encoding: 'utf8',
      env: { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('missing system packages for the tests: chromium\n');
  });
});
