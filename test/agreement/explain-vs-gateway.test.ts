/**
 * `explain` and the running gateway decide with the same function, so they must agree. Both tables
 * — the README policy table (src/policy/README.md) and the demo config's rows of the shared scenario
 * table (test/scenarios/policy-rows.ts) — run through a real gateway over HTTP (real sign-ins at the
 * emulator, real machine tokens) and through `cognito-gateway explain`; each row's two answers are
 * compared, and with the table's expectation.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/main';
import { TestBrowser } from '../helpers/browser';
import { rawRequest } from '../helpers/raw';
import { DEMO_CONFIG, startStack, type Stack } from '../helpers/stack';
import { machineToken } from '../helpers/tokens';
import { README_ROWS, README_YAML } from '../policy/readme-table';
import { DEMO_POLICY_ROWS } from '../scenarios/policy-rows';

const PASSWORDS: Record<string, string> = { alice: 'Alice-Passw0rd!', bob: 'Bob-Passw0rd!', carol: 'Carol-Passw0rd!' };

/** explain's identity flags for each caller (the same attributes the demo pool gives them). */
const EXPLAIN_IDENTITY: Record<string, string[]> = {
  anonymous: [],
  alice: ['--user', 'alice', '--groups', 'admins,staff', '--email', 'alice@example.com'],
  bob: ['--user', 'bob', '--groups', 'staff', '--email', 'bob@example.com'],
  carol: ['--user', 'carol', '--email', 'carol@partner.example', '--claim', 'custom:tenant=acme'],
  machine: ['--client', 'demo-machine', '--scopes', 'demo-api/read,demo-api/write'],
  'machine-read': ['--client', 'demo-machine', '--scopes', 'demo-api/read'],
  'machine-write': ['--client', 'demo-machine', '--scopes', 'demo-api/write'],
};
const SCOPES: Record<string, string> = { machine: 'demo-api/read demo-api/write', 'machine-read': 'demo-api/read', 'machine-write': 'demo-api/write' };
/** The README table's names for the machine callers. */
const README_WHO: Record<string, string> = { 'read-only machine': 'machine-read', 'write-only machine': 'machine-write' };

/**
 * What a client sees, as a class both sides can state: `forward+identity`, `forward`, or a status.
 * explain's `answer` line says it; over HTTP the echo upstream's body and headers say it.
 */
type Seen = string;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** An upstream that says whether a request got through, and whether it carried an assertion. */
async function startRecorder(): Promise<{ url: string; server: Server }> {
  const server = createHttpServer((req, res) => {
    // A header, so that HEAD answers say it too.
    res.setHeader('x-recorded', typeof req.headers['x-auth-assertion'] === 'string' ? 'with-assertion' : 'plain');
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

interface Side {
  recorder: Server;
  stack: Stack;
  configFile: string;
  credentials: Record<string, Record<string, string>>;
}

async function startSide(configText: string, port: number): Promise<Side> {
  const recorder = await startRecorder();
  const stack = await startStack({ configText, port, env: { DEMO_UPSTREAM_URL: recorder.url } });
  const file = join(mkdtempSync(join(tmpdir(), 'cg-agree-')), 'config.json');
  writeFileSync(file, configText);
  const credentials: Record<string, Record<string, string>> = { anonymous: {} };
  for (const user of Object.keys(PASSWORDS)) {
    const b = new TestBrowser();
    const done = await b.signIn(`${stack.url}/`, user, PASSWORDS[user]!);
    expect(done.res.status, `${user} signs in`).toBe(200);
    credentials[user] = { cookie: b.cookieHeader(stack.url)! };
  }
  for (const [who, scope] of Object.entries(SCOPES)) credentials[who] = { authorization: `Bearer ${await machineToken(stack.emulator.hostedUiBase, scope)}` };
  return { recorder: recorder.server, stack, configFile: file, credentials };
}

async function overHttp(side: Side, who: string, method: string, target: string, accept: string): Promise<Seen> {
  const res = await rawRequest(side.stack.url, target, { method, headers: { accept, ...side.credentials[who] } });
  const recorded = res.headers['x-recorded'];
  if (res.status !== 200 || !recorded) return String(res.status);
  return recorded === 'with-assertion' ? 'forward+identity' : 'forward';
}

async function throughExplain(side: Side, who: string, method: string, target: string, accept: string): Promise<Seen> {
  const lines: string[] = [];
  await main(
    ['explain', '--config', side.configFile, ...EXPLAIN_IDENTITY[who]!, '--header', `Accept: ${accept}`, method, `${side.stack.url}${target}`],
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  const answer = lines
    .join('\n')
    .split('\n')
    .find((l) => l.startsWith('answer'));
  if (!answer) {
    const reserved = lines.join('\n').match(/decision {2}RESERVED/);
    return reserved ? '200' : `no answer line: ${lines.join(' | ')}`;
  }
  const m = /^answer\s+(?:forward to \S+ (without|with)|(\d{3}))/.exec(answer);
  if (!m) return `unparsed: ${answer}`;
  if (m[2]) return m[2];
  return m[1] === 'with' && !/with no identity headers/.test(answer) ? 'forward+identity' : 'forward';
}

describe('the README policy table: gateway over HTTP and explain agree row by row', () => {
  let side: Side;
  beforeAll(async () => {
    const port = await freePort();
    const demo = parse(DEMO_CONFIG) as Record<string, any>;
    const readme = parse(README_YAML.replaceAll(':8787', `:${port}`)) as Record<string, any>;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} interpolation
    for (const app of readme.apps) app.upstream = '${DEMO_UPSTREAM_URL:-http://127.0.0.1:9080}';
    side = await startSide(JSON.stringify({ ...demo, unmatched: readme.unmatched, apps: readme.apps }), port);
  }, 60_000);
  afterAll(async () => {
    await side?.stack.close();
    side?.recorder.close();
  });

  it('every row: the same answer from both, and the one the table states', async () => {
    const rows = [];
    for (const [method, path, whoName, effect, , extra] of README_ROWS) {
      const who = README_WHO[whoName] ?? whoName;
      const human = !who.startsWith('machine');
      const expected =
        effect === 'bypass'
          ? 'forward'
          : effect === 'allow'
            ? 'forward+identity'
            : effect === 'deny'
              ? '403'
              : extra?.bearerOnly || who !== 'anonymous' || method !== 'GET'
                ? '401'
                : '302';
      const http = await overHttp(side, who, method, path, 'text/html');
      const explained = await throughExplain(side, who, method, path, 'text/html');
      rows.push({ row: `${method} ${path} as ${whoName}${human ? '' : ' (bearer)'}`, http, explain: explained, expected });
    }
    expect(rows.filter((r) => r.http !== r.explain)).toEqual([]);
    expect(rows.filter((r) => r.http !== r.expected)).toEqual([]);
    expect(rows.length).toBe(README_ROWS.length);
  });
});

describe('the demo rows of the scenario table: gateway over HTTP and explain agree row by row', () => {
  let side: Side;
  beforeAll(async () => {
    side = await startSide(JSON.stringify(parse(DEMO_CONFIG)), await freePort());
  }, 60_000);
  afterAll(async () => {
    await side?.stack.close();
    side?.recorder.close();
  });

  it('every row: the same status from both, and the one the table states', async () => {
    const rows = [];
    for (const r of DEMO_POLICY_ROWS) {
      const accept = r.accept === 'json' ? 'application/json' : 'text/html';
      const toStatus = (seen: Seen) => (seen.startsWith('forward') ? '200' : seen);
      const http = toStatus(await overHttp(side, r.who, r.method, r.target, accept));
      const explained = toStatus(await throughExplain(side, r.who, r.method, r.target, accept));
      rows.push({ row: `${r.method} ${r.target} as ${r.who}`, http, explain: explained, expected: String(r.status) });
    }
    expect(rows.filter((r) => r.http !== r.explain)).toEqual([]);
    expect(rows.filter((r) => r.http !== r.expected)).toEqual([]);
  });

  it('explain says what the gateway answers on reserved paths', async () => {
    const lines: string[] = [];
    const code = await main(
      ['explain', '--config', side.configFile, 'GET', `${side.stack.url}/_auth/anything`],
      (l) => lines.push(l),
      (l) => lines.push(l),
    );
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(/decision {2}DENY \(404 not_found\): reserved path/);
    const login: string[] = [];
    expect(await main(['explain', '--config', side.configFile, 'GET', `${side.stack.url}/_auth/login?rd=/x`], (l) => login.push(l))).toBe(0);
    expect(login.join('\n')).toMatch(/RESERVED: \/_auth\/login is the gateway's own "login" endpoint/);
    expect(login.find((l) => l.startsWith('answer'))).toBe('answer    302 to the hosted UI (503 idp_unavailable when discovery fails)');
    // And the gateway does answer 302 there.
    expect((await rawRequest(side.stack.url, '/_auth/login?rd=/x')).status).toBe(302);
  });
});
