/**
 * The bounded cache behind the opened-session, verified-token, assertion and user caches: never more
 * than maxEntries; when full, an entry used since it was added (or since its last second chance)
 * outlives the ones that were not; the oldest unused goes first; overwriting keeps one entry.
 */
import { describe, expect, it } from 'vitest';
import { Lru } from '../src/lru';

const keysOf = (lru: Lru<number>, keys: string[]) => keys.filter((k) => lru.peek(k) !== undefined);

describe('Lru (CLOCK, second chance)', () => {
  it('holds at most maxEntries, forgetting the oldest unused first', () => {
    const lru = new Lru<number>(3);
    for (const [i, k] of ['a', 'b', 'c', 'd', 'e'].entries()) lru.set(k, i);
    expect(lru.size).toBe(3);
    expect(keysOf(lru, ['a', 'b', 'c', 'd', 'e'])).toEqual(['c', 'd', 'e']);
  });

  it('keeps an entry that was read since it was added, over older and newer unused ones', () => {
    const lru = new Lru<number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1);
    lru.set('d', 4); // b is the oldest unused: it goes, a gets its second chance
    expect(keysOf(lru, ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd']);
    lru.set('e', 5); // c goes (the order is now a, d, e: a was moved to the newest end, unmarked)
    lru.set('f', 6); // a was not read again: it goes now
    expect(keysOf(lru, ['a', 'c', 'd', 'e', 'f'])).toEqual(['d', 'e', 'f']);
    lru.set('g', 7);
    expect(keysOf(lru, ['d', 'e', 'f', 'g'])).toEqual(['e', 'f', 'g']);
  });

  it('one key read again and again stays while every other key cycles through', () => {
    const lru = new Lru<number>(100);
    lru.set('hot', -1);
    for (let i = 0; i < 10_000; i++) {
      expect(lru.get('hot')).toBe(-1);
      lru.set(`k${i}`, i);
    }
    expect(lru.size).toBe(100);
    expect(lru.peek('hot')).toBe(-1);
    expect(lru.peek('k9999')).toBe(9999);
    expect(lru.peek('k9000')).toBeUndefined();
  });

  it('evicts even when every entry was used (marks are cleared on the way)', () => {
    const lru = new Lru<number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.get('b');
    lru.set('c', 3);
    expect(lru.size).toBe(2);
    expect(keysOf(lru, ['a', 'b', 'c'])).toEqual(['b', 'c']);
  });

  it('overwrites in place, deletes, peeks without marking, and caches nothing at maxEntries 0', () => {
    const lru = new Lru<number>(2);
    lru.set('a', 1);
    lru.set('a', 2);
    expect(lru.size).toBe(1);
    expect(lru.get('a')).toBe(2);
    lru.delete('a');
    expect(lru.get('a')).toBeUndefined();
    lru.set('x', 1);
    lru.set('y', 2);
    expect(lru.peek('x')).toBe(1); // not a use: x is still the one to go
    lru.set('z', 3);
    expect(keysOf(lru, ['x', 'y', 'z'])).toEqual(['y', 'z']);
    const none = new Lru<number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
    expect(none.size).toBe(0);
  });
});
