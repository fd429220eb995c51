/** Over HTTP: a client's traceparent reaches the upstream unchanged, one is added when absent or malformed, and the access log carries the trace id, client address, upstream time and bytes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

async function upstreamSaw(headers: Record<string, string>) {
  const res = await rawRequest(stack.url, '/public/x', { headers: { accept: 'application/json', ...headers } });
  expect(res.status).toBe(200);
  const traceparent = (JSON.parse(res.body) as { headers: Record<string, string> }).headers.traceparent;
  const line = stack.logs.find((l) => l.requestId === res.headers['x-request-id'] && l.msg === 'request');
  // The access log also says how long the upstream took and how many body bytes went out.
  expect([typeof line?.upstreamMs, line?.bytes, line?.client]).toEqual(['number', Buffer.byteLength(res.body), '127.0.0.1']);
  return { traceparent, logged: line?.traceId };
}

describe('W3C trace context', () => {
  it('passes a valid traceparent through unchanged and logs its trace id', async () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(await upstreamSaw({ traceparent: tp })).toEqual({ traceparent: tp, logged: '4bf92f3577b34da6a3ce929d0e0e4736' });
  });
  it('adds one when absent or malformed (all-zero ids too)', async () => {
    for (const headers of <Record<string, string>[]>[
      {},
      { traceparent: 'garbage' },
      { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
    ]) {
      const seen = await upstreamSaw(headers);
      expect(seen.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(seen.traceparent!.slice(3, 35)).toBe(seen.logged);
    }
  });
});
