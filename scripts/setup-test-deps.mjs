/**
 * `pretest`, after the Node check: the Debian packages the suites drive for real (Chromium, nginx,
 * Caddy, redis-server, systemd's systemd-analyze). Installs the missing ones when it can (root, or passwordless sudo, and
 * apt-get); otherwise stops with the one command to run. So `npm test` alone works on a fresh machine.
 *
 *   node scripts/setup-test-deps.mjs          install what is missing, or say how
 *   node scripts/setup-test-deps.mjs --check  only say what is missing (exit 1 if anything is)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Each Debian package and where the tests look for its program (test/helpers/*.ts). */
export const SYSTEM_PACKAGES = [
  { name: 'chromium', paths: [process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'] },
  { name: 'nginx', paths: ['/usr/sbin/nginx', '/usr/bin/nginx'] },
  { name: 'caddy', paths: ['/usr/bin/caddy', '/usr/local/bin/caddy'] },
  { name: 'redis-server', paths: ['/usr/bin/redis-server', '/usr/local/bin/redis-server'] },
  // systemd-analyze checks deploy/cognito-gateway.service (test/package/container.test.ts).
  { name: 'systemd', paths: ['/usr/bin/systemd-analyze'] },
];

/** @param {{ name: string, paths: string[] }[]} packages  @param {(p: string) => boolean} exists */
export function missingPackages(packages = SYSTEM_PACKAGES, exists = existsSync) {
  return packages.filter((p) => !p.paths.some(exists)).map((p) => p.name);
}

/**
 * What to do about the missing packages: nothing, install (the commands to run), or stop (one line
 * with the one command for the user).
 * @param {{ missing: string[], isRoot: boolean, hasAptGet: boolean, hasSudo: boolean }} host
 */
export function setupPlan({ missing, isRoot, hasAptGet, hasSudo }) {
  if (missing.length === 0) return { action: 'none' };
  const list = missing.join(' ');
  if (!hasAptGet) {
    return { action: 'stop', message: `the tests need ${list} (Debian package names); install them with your system's package manager, then rerun npm test` };
  }
  const install = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing];
  if (isRoot || hasSudo) {
    const prefix = isRoot ? [] : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
    return {
      action: 'install',
      commands: [
        [...prefix, 'apt-get', 'update', '-qq'],
        [...prefix, ...install],
      ],
    };
  }
  return { action: 'stop', message: `the tests need ${list}: run  sudo apt-get update && sudo apt-get install -y ${list}  then rerun npm test` };
}

function hostFacts() {
  const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return {
    isRoot,
    hasAptGet: onPath('apt-get'),
    hasSudo: !isRoot && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0,
  };
}

function main(argv) {
  const missing = missingPackages();
  if (argv.includes('--check')) {
    if (missing.length) console.error(`missing system packages for the tests: ${missing.join(' ')}`);
    return missing.length ? 1 : 0;
  }
  const plan = setupPlan({ missing, ...hostFacts() });
  if (plan.action === 'none') return 0;
  if (plan.action === 'stop') {
    console.error(plan.message);
    return 1;
  }
  console.error(`installing system packages for the tests: ${missing.join(' ')}`);
  for (const cmd of plan.commands) {
    const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) {
      console.error(`\`${cmd.join(' ')}\` failed (exit ${r.status}); run  sudo apt-get install -y ${missing.join(' ')}  then rerun npm test`);
      return 1;
    }
  }
  const still = missingPackages();
  if (still.length) {
    console.error(`still missing after apt-get: ${still.join(' ')}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(main(process.argv.slice(2)));
}
