/**
 * Runs Debian's Caddy (apt-get install caddy; 2.6 — its Caddyfile is older than current docs) with a
 * Caddyfile written for the test, on an ephemeral port, admin API off, state in a temp folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, whenAnswering } from './nginx';

export const CADDY = ['/usr/bin/caddy', '/usr/local/bin/caddy'].find((p) => existsSync(p));

export interface RunningCaddy {
  url: string;
  close(): Promise<void>;
}

/** `site` is one site block whose address is `SITE` (replaced by http://127.0.0.1:<port>). */
export async function startCaddy(site: string): Promise<RunningCaddy> {
  if (!CADDY) throw new Error('caddy not installed: apt-get install -y caddy (npm test installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'cgw-caddy-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const caddyfile = `{\n\tadmin off\n\tauto_https off\n\tstorage file_system ${dir}/data\n}\n${site.replace('SITE', url)}`;
  writeFileSync(join(dir, 'Caddyfile'), caddyfile);
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir };
  const child: ChildProcess = spawn(CADDY, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return await whenAnswering(child, `${url}/_auth/healthz`, 'caddy', () => stderr, url);
}
