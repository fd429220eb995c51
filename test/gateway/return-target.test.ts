/**
 * returnTarget: a same-origin path when the request came to the sign-in origin, the full URL when
 * it came to another host than publicUrl.
 */
import { describe, expect, it } from 'vitest';
import { returnTarget } from '../../src/gateway/decide';

const info = (origin: string, host: string, proto: 'http' | 'https' = 'https') => ({ origin, host, proto });

describe('returnTarget', () => {
  it('is a same-origin path when the request came to the sign-in origin', () => {
    expect(returnTarget(info('https://gw.example.com', 'gw.example.com'), '/a?b=1')).toBe('/a?b=1');
  });
  it('is the full URL when the request came to another host than publicUrl', () => {
    expect(returnTarget(info('https://login.example.com', 'app.example.com'), '/a?b=1')).toBe('https://app.example.com/a?b=1');
  });
});
