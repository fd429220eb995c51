/**
 * `check` exit 0 means `serve` starts: every invalid config in the table is fed to both commands as
 * real processes (the package bin), and both must refuse it with exit 2 and the same message, naming
 * the key; `doctor` refuses it with the same words before it calls anything. A valid config passes
 * `check` and `serve` answers on it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/cli/doctor';
import { generateAssertionKey } from '../../src/tokens';

const SECRET = 'check-serve-test-cookie-secret-0123456789';

const base = (extra = '', app = '') => `
idp:
  userPoolId: eu-west-1_AbC123xyz
  clientId: client1
listen: { host: 127.0.0.1, port: 0 }
${extra}
apps:
  - id: app
    upstream: http://127.0.0.1:9
${app}    policies:
      - name: signed-in
        action: allow
        include: [{ authenticated: true }]
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** When serve listened: what its /_auth/healthz answered before it was stopped. */
  health?: string;
}

const LISTENING = /"msg":"gateway listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/;

/** Runs the package bin. A serve that reports listening is asked for /_auth/healthz, then stopped with SIGTERM. */
function runBin(args: string[], env: Record<string, string>): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEWAY_') && k !== 'COGNITO_ENDPOINT' && k !== 'PORT'));
  const child = spawn(process.execPath, ['bin/cognito-gateway.js', ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let health: string | undefined;
  let asked = false;
  child.stdout.on('data', (d) => {
    stdout += d;
    const url = LISTENING.exec(stdout)?.[1];
    if (!url || asked) return;
    asked = true;
    void fetch(`${url}/_auth/healthz`)
      .then(async (res) => (health = `${res.status} ${await res.text()}`))
      .catch((e: Error) => (health = e.message))
      .finally(() => child.kill('SIGTERM'));
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  // A serve that neither refuses nor reports listening is a failure, not a hang.
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, health });
    });
  });
}

let dir: string;
let privateKey: string;
let publicKey: string;
let rsaKey: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cgw-check-serve-'));
  privateKey = await generateAssertionKey();
  const { d: _d, ...pub } = JSON.parse(privateKey) as Record<string, string>;
  publicKey = JSON.stringify(pub);
  const rsa = await generateKeyPair('RS256', { extractable: true });
  rsaKey = JSON.stringify(await exportJWK(rsa.privateKey));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  name: string;
  text: () => string;
  env?: () => Record<string, string>;
  /** The key path the refusal names, and what it says. */
  expected: RegExp;
}

const rows: Row[] = [
  {
    name: 'a public key in GATEWAY_ASSERTION_KEYS',
    text: () => base(),
    env: () => ({ GATEWAY_ASSERTION_KEYS: publicKey }),
    expected: /assertion\.keys\[0\]: is a public key.*gen-key/,
  },
  {
    name: 'an RSA key in assertion.keys',
    text: () => base(`assertion: { keys: [${JSON.stringify(rsaKey)}] }`),
    expected: /assertion\.keys\[0\]: is a RSA key; assertion keys must be EC P-256/,
  },
  {
    name: 'the same assertion key twice',
    text: () => base(),
    env: () => ({ GATEWAY_ASSERTION_KEYS: `[${privateKey}, ${privateKey}]` }),
    expected: /assertion\.keys\[1\]: repeats kid/,
  },
  { name: 'upstreamTimeout: 0', text: () => base('upstreamTimeout: 0'), expected: /upstreamTimeout: upstreamTimeout must be from 1s to 1h/ },
  {
    name: 'idp.timeout: 0',
    text: () => base().replace('clientId: client1', 'clientId: client1\n  timeout: 0'),
    expected: /idp\.timeout: idp\.timeout must be from 1s to 1m/,
  },
  {
    name: 'cognitoAdmin.timeout: 0',
    text: () => base('cognitoAdmin: { timeout: 0 }'),
    expected: /cognitoAdmin\.timeout: cognitoAdmin\.timeout must be from 1s to 1m/,
  },
  {
    name: 'cognitoAdmin.userCacheRetention: 0',
    text: () => base('cognitoAdmin: { userCacheRetention: 0 }'),
    expected: /cognitoAdmin\.userCacheRetention: .*from 1s/,
  },
  {
    name: 'tokens.clockSkew above the verifier limit',
    text: () => base('tokens: { clockSkew: 1h }'),
    expected: /tokens\.clockSkew: tokens\.clockSkew must be from 0s to 10m/,
  },
  {
    name: 'COGNITO_ENDPOINT=banana',
    text: () => base(),
    env: () => ({ COGNITO_ENDPOINT: 'banana' }),
    expected: /COGNITO_ENDPOINT: "banana" is not an http\(s\) URL/,
  },
  {
    name: 'a short cookie secret',
    text: () => base(),
    env: () => ({ GATEWAY_COOKIE_SECRETS: 'short' }),
    expected: /session\.secrets\[0\]: each session secret needs at least 32 characters/,
  },
  {
    name: 'the same cookie secret twice',
    text: () => base(),
    env: () => ({ GATEWAY_COOKIE_SECRETS: `${SECRET},${SECRET}` }),
    expected: /session\.secrets: the same secret is listed twice/,
  },
  {
    name: 'a publicUrl that does not parse',
    text: () => base('publicUrl: gw.example.com'),
    expected: /publicUrl: publicUrl must be an absolute http\(s\) URL/,
  },
  {
    name: 'a URL in redirects.allowedHosts',
    text: () => base('redirects: { allowedHosts: ["https://app.example.com"] }'),
    expected: /redirects\.allowedHosts\[0\]: write a host such as/,
  },
  { name: 'an empty assertion.issuer', text: () => base('assertion: { issuer: "" }'), expected: /assertion\.issuer: assertion\.issuer must not be empty/ },
  {
    name: 'user look-ups with idp.type oidc',
    text: () => base('', '    cognito: { userLookup: true }\n').replace('userPoolId: eu-west-1_AbC123xyz', 'type: oidc\n  issuer: https://idp.example.com'),
    expected: /apps\[0\]\.cognito\.userLookup: needs idp\.type cognito/,
  },
];

describe('check and serve refuse the same configs', () => {
  it.each(rows)(
    '$name',
    async (row) => {
      const path = join(dir, `${row.name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(path, row.text());
      const env = { GATEWAY_COOKIE_SECRETS: SECRET, ...row.env?.() };
      const [check, serve] = await Promise.all([runBin(['check', '--config', path], env), runBin(['serve', '--config', path], env)]);
      expect(check.code, check.stdout + check.stderr).toBe(2);
      expect(serve.code, serve.stdout + serve.stderr).toBe(2);
      // One issue, named with its key path, and nothing else on stderr.
      expect(check.stderr.trim().split('\n')).toEqual([`${path} is invalid:`, expect.stringMatching(row.expected)]);
      expect(serve.stderr.trim()).toBe(check.stderr.trim());
      expect(serve.health).toBeUndefined();
      const doctorLines: string[] = [];
      expect(await runDoctor(path, { env, out: (l) => doctorLines.push(l) })).toBe(2);
      expect(doctorLines).toEqual([`doctor: cannot load ${path}: ${check.stderr.trim()}`]);
    },
    30_000,
  );

  it('a config check accepts is one serve starts with', async () => {
    const path = join(dir, 'valid.yaml');
    writeFileSync(path, base('', '    cognito: { userLookup: true }\n'));
    const env = { GATEWAY_COOKIE_SECRETS: SECRET, GATEWAY_ASSERTION_KEYS: privateKey, COGNITO_ENDPOINT: 'http://127.0.0.1:9' };
    const check = await runBin(['check', '--config', path], env);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toBe(`${path}: valid (1 app: app)\n`);
    const serve = await runBin(['serve', '--config', path], env);
    expect(serve.health, serve.stderr).toBe('200 ok');
    // Stopped by SIGTERM after it answered: a clean exit.
    expect(serve.code).toBe(0);
  }, 30_000);
});
