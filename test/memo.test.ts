import { describe, expect, it } from 'vitest';
import { flatCopy, rememberFirst } from '../src/memo';

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

describe('flatCopy', () => {
  it('is the same text, whatever it was cut from', () => {
    const header = `a=1; _cgw_session=${'x'.repeat(4000)}Fe26.2*tail-of-the-seal`;
    expect(flatCopy(header.slice(-20))).toBe('Fe26.2*tail-of-the-seal'.slice(-20));
    expect(flatCopy('')).toBe('');
  });
});
