/** The Cache API SharedCache (src/runtime/cache-api.ts) inside workerd, through a probe Worker. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorker } from '../../scripts/worker-bundle.mjs';
import { startMiniflareWorker, type RunningWorker } from '../helpers/worker-stack';

let worker: RunningWorker;
beforeAll(async () => {
  const outdir = await buildWorker({ outdir: mkdtempSync(join(tmpdir(), 'cgw-cache-probe-')), config: 'test/worker/fixtures/wrangler.cache-probe.toml' });
  worker = await startMiniflareWorker({ bundleDir: outdir, entry: 'cache-probe.js' });
});
afterAll(() => worker?.close());

async function call(path: string, params: Record<string, string>) {
  const res = await fetch(`${worker.url}${path}?${new URLSearchParams(params)}`);
  return { status: res.status, text: await res.text() };
}

describe('SharedCache over caches.default in workerd', () => {
  it('stores and returns values under synthetic keys, per namespace', async () => {
    expect(await call('/get', { key: 'jwks:https://idp/keys' })).toEqual({ status: 404, text: 'miss' });
    expect((await call('/put', { key: 'jwks:https://idp/keys', value: '{"keys":[]}', ttl: '60' })).status).toBe(204);
    expect(await call('/get', { key: 'jwks:https://idp/keys' })).toEqual({ status: 200, text: '{"keys":[]}' });
    // Another namespace (another gateway on the zone) does not see it.
    expect((await call('/get', { key: 'jwks:https://idp/keys', ns: 'other-gateway' })).status).toBe(404);
    // Keys with any characters are fine.
    const odd = 'tok:ab/cd?x=1#y é';
    await call('/put', { key: odd, value: 'v', ttl: '60' });
    expect(await call('/get', { key: odd })).toEqual({ status: 200, text: 'v' });
  });

  it('honours the TTL (Cache-Control max-age) and ignores a TTL under 1 s', async () => {
    await call('/put', { key: 'short', value: 'soon gone', ttl: '1' });
    expect((await call('/get', { key: 'short' })).text).toBe('soon gone');
    await call('/put', { key: 'zero', value: 'never stored', ttl: '0' });
    expect((await call('/get', { key: 'zero' })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 2200));
    expect((await call('/get', { key: 'short' })).status).toBe(404);
  });
});
