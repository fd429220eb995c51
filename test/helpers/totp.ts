/** RFC 6238 TOTP written from the RFC (not the emulator's code): HMAC-SHA1, 30 s steps, 6 digits. */
import { createHmac } from 'node:crypto';

/** RFC 6238's SHA-1 test secret ("12345678901234567890"), base32. */
export const TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

export function totp(base32: string, atMs: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of base32) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const o = mac[19]! & 0xf;
  const n = ((mac[o]! & 0x7f) << 24) | (mac[o + 1]! << 16) | (mac[o + 2]! << 8) | mac[o + 3]!;
  return (n % 1_000_000).toString().padStart(6, '0');
}

/** A 6-digit code that is none of the codes accepted around `atMs` (the step and one either side). */
export function wrongTotp(base32: string, atMs: number): string {
  const valid = new Set([-30_000, 0, 30_000].map((d) => totp(base32, atMs + d)));
  for (let i = 0; ; i++) {
    const code = String((123456 + i * 7919) % 1_000_000).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}
