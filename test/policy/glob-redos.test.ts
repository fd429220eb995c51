/**
 * Globs never backtrack catastrophically. A glob with several `*` in one segment (`/exports/*-*-*.csv`)
 * as a backtracking regular expression (`[^/]*-[^/]*-[^/]*\.csv`) takes O(n^k) steps on a long
 * segment that does not match: one anonymous request would hold the Node event loop for seconds.
 *
 * Proved by counting work, not by timing: the segment matcher (matchSegment) reads the request
 * segment through a counting proxy, and its reads grow linearly with the segment's length (for a
 * fixed pattern, between 1 and (pattern length + 1) reads per character). Through the running gateway, a
 * 3000-character segment gets its exact answer (401 sign-in required: no bypass, no crash).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGlob, matchSegment } from '../../src/policy/glob';
import { rawRequest } from '../helpers/raw';
import { startStack, type Stack } from '../helpers/stack';

/** `text` as a string whose every character and length read is counted. */
function counted(text: string): { value: string; reads: () => number } {
  let reads = 0;
  const value = new Proxy(new String(text), {
    get(target, key) {
      if (key === 'length' || (typeof key === 'string' && /^\d+$/.test(key))) reads++;
      const v = Reflect.get(target, key);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as unknown as string;
  return { value, reads: () => reads };
}

function readsFor(pattern: string, text: string): { matched: boolean; reads: number } {
  const c = counted(text);
  const matched = matchSegment(pattern, c.value);
  return { matched, reads: c.reads() };
}

describe('matchSegment work', () => {
  it.each([
    ['*-*-*.csv', '-'],
    ['*a*a*a*a*b', 'a'],
    ['**x', 'y'],
  ])('%s against a long run of "%s" (no match) grows linearly with the segment', (pattern, ch) => {
    const sizes = [1000, 2000, 4000, 8000];
    const runs = sizes.map((n) => readsFor(pattern, ch.repeat(n)));
    expect(runs.map((r) => r.matched)).toEqual([false, false, false, false]);
    for (const [i, n] of sizes.entries()) {
      // At least one read per character: the count sees the matcher's work (a regex would read none).
      expect(runs[i]!.reads, `reads for ${n} characters`).toBeGreaterThanOrEqual(n);
      expect(runs[i]!.reads, `reads for ${n} characters`).toBeLessThanOrEqual((pattern.length + 1) * (n + 1));
    }
    // Doubling the input at most doubles the work (plus a constant): O(n), not O(n^k).
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.reads).toBeLessThanOrEqual(2 * runs[i - 1]!.reads + 2 * pattern.length + 2);
  });

  it('still matches what it should, with the same bounded work', () => {
    const long = `${'2024'.repeat(500)}-01-31.csv`;
    const r = readsFor('*-*-*.csv', long);
    expect(r.matched).toBe(true);
    expect(r.reads).toBeLessThanOrEqual(10 * (long.length + 1));
    expect(compileGlob('/exports/*-*-*.csv').ok).toBe(true);
  });
});

describe('through the running gateway', () => {
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

  it('answers a long non-matching segment with 401 and a matching one as public', async () => {
    const res = await rawRequest(stack.url, `/exports/${'-'.repeat(3000)}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error).toBe('unauthorized');
    const pub = await rawRequest(stack.url, '/exports/2024-01-31.csv', { headers: { accept: 'application/json' } });
    expect(pub.status).toBe(200);
  });
});
