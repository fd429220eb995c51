/**
 * `cognito-gateway explain` decides one request exactly as the gateway would and says why (which
 * policy and rule; exit 0 allow, 1 deny), for users by name, for anonymous requests, and for a real
 * token's claims (--token); refuses bad paths like the gateway; exit 2 with usage on bad arguments or
 * config; runs as the package bin. `check` validates a config file and `gen-key` prints an ES256
 * private JWK with its RFC 7638 kid.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';

async function run(...argv: string[]) {
  const lines: string[] = [];
  const code = await main(
    argv,
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  return { code, out: lines.join('\n') };
}

const DEMO = ['--config', 'config/demo.yaml'];

describe('cognito-gateway explain', () => {
  it('allows alice on /admin and says which policy and rule decided (exit 0)', async () => {
    const r = await run('explain', ...DEMO, '--user', 'alice', '--groups', 'admins,staff', '--email', 'alice@example.com', 'GET', 'https://gw.example/admin/x');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/demo/);
    expect(r.out).toMatch(/admin-area/);
    expect(r.out).toMatch(/ALLOW/i);
  });

  it('denies bob on /admin (exit 1) and shows each policy considered', async () => {
    const r = await run('explain', ...DEMO, '--user', 'bob', '--groups', 'staff', 'GET', 'https://gw.example/admin/x');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/admin-area-non-admins/);
    expect(r.out).toMatch(/DENY/i);
  });

  it('sends anonymous users to sign in (exit 1) and lets them into /public (exit 0)', async () => {
    expect((await run('explain', ...DEMO, 'GET', 'https://gw.example/x')).code).toBe(1);
    expect((await run('explain', ...DEMO, 'GET', 'https://gw.example/public/x')).code).toBe(0);
  });

  it("uses a real token's claims with --token", async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ alg: 'RS256', kid: 'k' })}.${b64({ sub: 'c', token_use: 'id', 'cognito:username': 'carol', email: 'carol@partner.example', email_verified: true })}.sig`;
    const r = await run('explain', ...DEMO, '--token', token, 'GET', 'https://gw.example/partners/deals');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/partner-domain/);
  });

  it('rejects bad paths like the gateway does', async () => {
    const r = await run('explain', ...DEMO, '--user', 'alice', '--groups', 'admins', 'GET', 'https://gw.example/public/..%2fadmin');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/400/);
  });

  it('exits 2 with usage for missing arguments and for an invalid config', async () => {
    expect((await run('explain', ...DEMO)).code).toBe(2);
    const bad = await run('explain', '--config', 'package.json', 'GET', 'https://x/');
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/idp/);
  });

  it('runs as the package bin', () => {
    const r = spawnSync(
      process.execPath,
      ['bin/cognito-gateway.js', 'explain', ...DEMO, '--user', 'bob', '--groups', 'staff', 'GET', 'https://gw.example/admin/'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/DENY/i);
  }, 20_000);
});

describe('cognito-gateway check and gen-key', () => {
  it('validates a config file', async () => {
    const r = await run('check', ...DEMO);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid \(6 apps: site, portal, broker, spa-api, partners, demo\)/);
  });

  it('prints an ES256 private JWK', async () => {
    const r = await run('gen-key');
    const jwk = JSON.parse(r.out) as Record<string, string>;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(jwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/); // a P-256 private scalar, base64url
    expect(jwk.kid).toMatch(/^[A-Za-z0-9_-]{43}$/); // its RFC 7638 thumbprint
  });
});
