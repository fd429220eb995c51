/**
 * One Node floor: `engines`, the bin's check and the README say the same version, and the bin refuses an
 * older Node (the system Node 20 here) before it imports anything, with one line and exit 1.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SYSTEM_NODE = '/usr/bin/node';
const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
const floor = engines.replace(/^>=/, '');

describe('the Node floor', () => {
  it('is the highest floor the runtime dependencies declare, in engines, the bin and the README', () => {
    const declared = ['undici', 'iron-session', '@hono/node-server', 'hono', '@aws-sdk/client-cognito-identity-provider'].map(
      (name) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node,
    );
    expect(declared).toEqual(['>=22.19.0', '>=22.13.0', '>=20', '>=16.9.0', '>=20.0.0']);
    expect(engines).toBe('>=22.19.0');
    expect(readFileSync(join(ROOT, 'bin/cognito-gateway.js'), 'utf8')).toContain(`const NODE_FLOOR = '${floor}';`);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`Node ${floor}`);
  });

  it('the bin refuses the system Node 20 with one line naming both versions, exit 1', () => {
    const found = spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    expect(Number(found.split('.')[0])).toBe(20);
    for (const args of [['serve', '--config', 'config/demo.yaml'], ['--help']]) {
      const r = spawnSync(SYSTEM_NODE, ['bin/cognito-gateway.js', ...args], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`cognito-gateway needs Node >= ${floor} (found ${found} at ${SYSTEM_NODE})\n`);
    }
  });

  it('the pinned Node passes the check', () => {
    const r = spawnSync(process.execPath, ['bin/cognito-gateway.js', 'help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^cognito-gateway: identity-aware reverse proxy/);
  });
});
