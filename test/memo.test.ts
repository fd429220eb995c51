import { describe, expect, it } from 'vitest';
import { rememberFirst } from '../src/memo';

describe('rememberFirst', () => {
  it('computes each of the first max arguments once, and any later one every time', () => {
    const calls: string[] = [];
    const upper = rememberFirst(2, (k) => {
      calls.push(k);
      return k.toUpperCase();
    });
    expect([upper('a'), upper('b'), upper('a'), upper('c'), upper('c'), upper('b')]).toEqual(['A', 'B', 'A', 'C', 'C', 'B']);
    expect(calls).toEqual(['a', 'b', 'c', 'c']);
  });

  it('remembers false answers, and not a throw', () => {
    let n = 0;
    const isX = rememberFirst(10, (k) => {
      n++;
      if (k === 'bad') throw new TypeError('bad');
      return k === 'x';
    });
    expect([isX('y'), isX('y')]).toEqual([false, false]);
    expect(() => isX('bad')).toThrow(TypeError);
    expect(() => isX('bad')).toThrow(TypeError);
    expect(n).toBe(3);
  });
});
