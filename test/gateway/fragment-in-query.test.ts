/**
 * A request target with a `#` (Node's parser accepts one; browsers never send it): the gateway cuts
 * the fragment off before matching and forwarding (decideGuarded), so the upstream sees the path and
 * query without it, and nothing is logged as an unhandled error.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

it.each([
  ['after the query', '/public/page?a=1#frag', '/public/page', 'a=1'],
  ['after the path', '/public/page#frag?a=1', '/public/page', ''],
])('drops a "#" fragment %s and forwards the rest', async (_where, target, path, query) => {
  const res = await rawRequest(stack.url, target, { headers: { accept: 'application/json' } });
  expect(res.status).toBe(200);
  const seen = JSON.parse(res.body) as { path: string; query: string };
  expect({ path: seen.path, query: seen.query }).toEqual({ path, query });
  expect(stack.logs.filter((l) => l.msg === 'unhandled error')).toEqual([]);
});
