/**
 * Regression: a request target whose query holds a `#` (Node's parser accepts it) reaches
 * upstreamUrl (src/proxy/upstream-url.ts:14), which throws a plain Error: the client gets a 500
 * "unexpected error" and the log an "unhandled error" with a stack trace, instead of the fragment
 * being dropped (as normalizePath already does for the path) or a 400.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(() => stack?.close());

it('does not answer 500 (nor log an unhandled error) for a "#" after the query', async () => {
  const res = await rawRequest(stack.url, '/public/page?a=1#frag', { headers: { accept: 'application/json' } });
  expect(res.status).not.toBe(500);
  expect(res.status).toBeLessThan(500);
  expect(stack.logs.some((l) => l.msg === 'unhandled error')).toBe(false);
});
