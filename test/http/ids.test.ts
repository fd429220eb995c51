/**
 * Request ids and the trace contexts the gateway makes: their exact shape, every position random
 * (no position stuck at one character, which a slip in writing the bytes would give), no repeats,
 * across several refills of the random pools.
 */
import { describe, expect, it } from 'vitest';
import { newRequestId } from '../../src/http/request-id';
import { traceContextFor } from '../../src/http/trace-context';

const N = 2000;

describe('newRequestId', () => {
  it('gives 16 URL-safe characters, all different ids, every position varying, all 64 characters used', () => {
    const ids = Array.from({ length: N }, newRequestId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new Set(ids).size).toBe(N);
    for (let p = 0; p < 16; p++) expect(new Set(ids.map((id) => id[p])).size).toBeGreaterThan(32);
    expect(new Set(ids.join('')).size).toBe(64);
  });
});

describe('traceContextFor', () => {
  it('makes 00-<32 hex>-<16 hex>-01 when none came, with the trace id its second field', () => {
    const made = Array.from({ length: N }, () => traceContextFor(null));
    for (const t of made) {
      expect(t.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(t.traceId).toBe(t.traceparent.slice(3, 35));
      expect(t.added).toBe(true);
    }
    expect(new Set(made.map((t) => t.traceparent)).size).toBe(N);
    // Every hex position of both ids varies (the fixed "00-", "-" and "-01" are the only constants).
    for (let p = 3; p < 52; p++) {
      if (p === 35) continue;
      expect(new Set(made.map((t) => t.traceparent[p])).size).toBeGreaterThan(8);
    }
  });
  it('keeps a valid one and replaces a malformed or all-zero one', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(traceContextFor(` ${tp} `)).toEqual({ traceparent: tp, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', added: false });
    expect(traceContextFor('garbage').added).toBe(true);
    expect(traceContextFor('00-00000000000000000000000000000000-00f067aa0ba902b7-01').added).toBe(true);
  });
});
