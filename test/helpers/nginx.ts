/**
 * Runs Debian's nginx (apt-get install nginx; .ci/run installs it) with a config written for the
 * test, on an ephemeral port, as a child process that dies with the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface RunningNginx {
  url: string;
  close(): Promise<void>;
}

/** `serverBlock` is the body of one `server { }` block; `listen` is added. `httpBlock` goes beside it (e.g. an `upstream`). */
export async function startNginx(serverBlock: string, httpBlock = ''): Promise<RunningNginx> {
  if (!NGINX) throw new Error('nginx not installed: apt-get install -y nginx (.ci/run does)');
  const dir = mkdtempSync(join(tmpdir(), 'cgw-nginx-'));
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'logs']) mkdirSync(join(dir, d));
  const port = await freePort();
  const conf = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${httpBlock}
  server {
    listen 127.0.0.1:${port};
${serverBlock}
  }
}`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  return await whenAnswering(child, `${url}/__nginx_probe`, 'nginx', () => stderr, url);
}

/** Waits (5 s at most) until a child server answers HTTP at `probe`; the handle stops it with SIGTERM. */
export async function whenAnswering(
  child: ChildProcess,
  probe: string,
  name: string,
  stderr: () => string,
  url: string,
): Promise<{ url: string; close(): Promise<void> }> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr()}`);
    try {
      await fetch(probe, { redirect: 'manual' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
