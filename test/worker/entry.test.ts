/**
 * The Worker entry in workerd (the production bundle): config delivery and secrets through vars,
 * refusing a bad config without leaking details, and upstreams behind a service binding.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startMiniflareWorker, type RunningWorker, type ServiceHandler } from '../helpers/worker-stack';

const CONFIG = `
idp:
  type: cognito
  userPoolId: us-east-1_DemoPool1
  issuer: \${EMULATOR_URL:-http://127.0.0.1:9}/us-east-1_DemoPool1
  clientId: demo-gateway
apps:
  - id: svc
    name: Service app
    upstream: https://app.internal
    policies:
      - name: open
        action: bypass
        include: [{ everyone: true }]
`;
const SECRET = 'worker-test-cookie-secret-0123456789abcdef';

let worker: RunningWorker | undefined;
afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

async function start(vars: Record<string, string>, services?: Record<string, ServiceHandler>) {
  worker = await startMiniflareWorker({ bundleDir: inject('workerBundleDir'), vars, services });
  return worker;
}

function expectNoLeak(body: string) {
  expect(body).not.toMatch(/\bat .*\(|\.ts:\d|\.js:\d|session\.secrets|ConfigError|GATEWAY_COOKIE_SECRETS/);
}

describe('the Worker entry', () => {
  it('answers 500 with a request id, and logs why, when there is no config', async () => {
    const w = await start({});
    const res = await fetch(`${w.url}/anything`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    const body = JSON.parse(text) as { error: string; request_id: string };
    expect(body.error).toBe('gateway_misconfigured');
    expect(body.request_id.length).toBeGreaterThan(8);
    expectNoLeak(text);
    await expect.poll(() => w.logs.find((l) => String(l.msg).startsWith('no gateway config'))?.requestId).toBe(body.request_id);
  });

  it('refuses an invalid config (no cookie secret) without leaking it; a secret var completes it', async () => {
    const bad = await start({ GATEWAY_CONFIG: CONFIG });
    const res = await fetch(`${bad.url}/x`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(500);
    expectNoLeak(await res.text());
    await expect.poll(() => String(bad.logs.find((l) => l.msg === 'gateway config refused')?.error ?? '')).toMatch(/session\.secrets/);
    await bad.close();

    const good = await start({ GATEWAY_CONFIG: CONFIG, GATEWAY_COOKIE_SECRETS: SECRET }, { APP: () => new Response('from the network?') });
    const health = await fetch(`${good.url}/_auth/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
  });

  it('reaches an upstream through a service binding (GATEWAY_SERVICE_UPSTREAMS)', async () => {
    const seen: Array<{ url: string; headers: Record<string, string> }> = [];
    const w = await start(
      { GATEWAY_CONFIG: CONFIG, GATEWAY_COOKIE_SECRETS: SECRET, GATEWAY_SERVICE_UPSTREAMS: 'https://app.internal=APP' },
      {
        APP: (req) => {
          seen.push({ url: req.url, headers: Object.fromEntries(req.headers) });
          return new Response('served by the APP binding', { headers: { 'x-from': 'binding' } });
        },
      },
    );
    const res = await fetch(`${w.url}/reports/q1?x=1&x=2`, {
      headers: { 'cf-connecting-ip': '198.51.100.7', 'x-auth-user': 'mallory', 'x-forwarded-for': '10.0.0.1' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('served by the APP binding');
    expect(res.headers.get('x-from')).toBe('binding');
    expect(res.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9_-]{16}$/); // newRequestId: 96 random bits
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('https://app.internal/reports/q1?x=1&x=2');
    expect(seen[0]!.headers['x-forwarded-for']).toBe('198.51.100.7');
    expect(seen[0]!.headers['x-auth-user']).toBeUndefined();
  });

  it('refuses a service upstream whose binding does not exist', async () => {
    const w = await start({ GATEWAY_CONFIG: CONFIG, GATEWAY_COOKIE_SECRETS: SECRET, GATEWAY_SERVICE_UPSTREAMS: 'https://app.internal=NOPE' });
    const res = await fetch(`${w.url}/x`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toBe('gateway_misconfigured');
    await expect.poll(() => String(w.logs.find((l) => l.msg === 'gateway config refused')?.error ?? '')).toMatch(/no service binding by that name/);
  });
});
