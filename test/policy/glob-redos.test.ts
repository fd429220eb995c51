/**
 * Regression: a policy glob with several `*` in one segment compiles to `[^/]*x[^/]*y[^/]*` (src/policy/glob.ts:46),
 * which V8 backtracks through in O(n^k) for a long request segment that does not match. One request
 * blocks the whole Node event loop (every user waits) for seconds; a 16 KB path, for hours.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    edit: (raw) => {
      const demo = raw.apps.find((a: { id: string }) => a.id === 'demo');
      // e.g. daily exports named 2024-01-31.csv are public
      demo.policies.unshift({ name: 'public-exports', action: 'bypass', paths: ['/exports/*-*-*.csv'], include: [{ everyone: true }] });
    },
  });
});
afterAll(() => stack?.close());

it('answers an anonymous request with a long path segment promptly (no catastrophic backtracking)', { timeout: 60_000 }, async () => {
  const started = Date.now();
  const res = await rawRequest(stack.url, `/exports/${'-'.repeat(3000)}`, { headers: { accept: 'application/json' } });
  const ms = Date.now() - started;
  expect(res.status).toBe(401);
  expect(ms, `one request held the event loop for ${ms} ms`).toBeLessThan(500);
});
