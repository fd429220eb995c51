/**
 * parseDuration: seconds and unit suffixes, and a message that says how to write a duration for
 * anything else.
 */
import { describe, expect, it } from 'vitest';
import { duration, parseDuration } from '../src/duration';

describe('parseDuration', () => {
  it('parses seconds and units', () => {
    expect(parseDuration(300)).toBe(300);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('5m')).toBe(300);
    expect(parseDuration('12h')).toBe(43200);
    expect(parseDuration('30d')).toBe(2592000);
    expect(parseDuration('42')).toBe(42);
  });
  it('rejects nonsense with a message that says how to write it', () => {
    expect(() => parseDuration('five minutes')).toThrow(/5m/);
    expect(() => parseDuration(-1)).toThrow(/>= 0/);
    expect(duration().safeParse('1w').success).toBe(false);
  });
});
