/** A sealed value opens only in the exact spelling iron-session wrote; every other spelling is no session. */
import { describe, expect, it } from 'vitest';
import { createSealer, isCanonicalSeal, type UnsealFailure } from '../../src/session/seal';

const SECRET = 'canonical-seal-test-secret-0123456789abcdef';
const sealer = createSealer([SECRET]);
const NOW = Date.now();

async function open(sealed: string) {
  const failures: UnsealFailure[] = [];
  const env = await sealer.open(sealed, 'session', NOW, (f) => failures.push(f));
  return { data: env?.d, failures };
}

describe('canonical seals', () => {
  it('the seal as written opens', async () => {
    const sealed = await sealer.seal({ p: 'session', exp: NOW + 60_000, d: { sid: 'abc' } }, 60);
    expect(isCanonicalSeal(sealed)).toBe(true);
    expect(await open(sealed)).toEqual({ data: { sid: 'abc' }, failures: [] });
  });

  it('bytes cut or added after the ~ version marker, or a non-canonical base64 tail, do not', async () => {
    const sealed = await sealer.seal({ p: 'session', exp: NOW + 60_000, d: { sid: 'abc' } }, 60);
    const hmac = sealed.slice(sealed.lastIndexOf('*') + 1, -2);
    const last = hmac.at(-1)!;
    // The hmac's last base64url character carries 2 unused bits: its siblings decode to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) + 1]!;
    const variants = [
      `${sealed}x`,
      `${sealed}2`,
      sealed.slice(0, -1),
      sealed.slice(0, -2),
      `${sealed.slice(0, -2)}~3`,
      ` ${sealed}`,
      `${sealed.slice(0, -3)}${sibling}~2`,
    ];
    for (const v of variants) expect([v === sealed, isCanonicalSeal(v), await open(v)], v).toEqual([false, false, { data: undefined, failures: ['invalid'] }]);
  });
});
