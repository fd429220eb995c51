/**
 * The frame-boundary watcher behind the revocation close frame (src/runtime/ws-frames.ts), fed
 * frames made by the `ws` package's own framing (Sender.frame): every payload-length form (7-bit,
 * 16-bit, 64-bit), masked and unmasked, whole and split byte by byte. A close frame may be inserted
 * only between whole frames, and never after the upstream's own close frame.
 */
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { CLOSE_REVOKED, CLOSE_EXPIRED, closeFrame, FrameBoundary } from '../../src/runtime/ws-frames';

/** ws's framing (its types leave Sender out). */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } };

const frame = (payload: Buffer, opts: { opcode?: number; mask?: boolean; fin?: boolean } = {}) =>
  Buffer.concat(Sender.frame(payload, { fin: opts.fin ?? true, rsv1: false, opcode: opts.opcode ?? 2, mask: opts.mask ?? false, readOnly: false }));

describe('FrameBoundary', () => {
  it('is at a boundary after each whole frame of every length form, masked or not, and nowhere inside one', () => {
    for (const mask of [false, true]) {
      for (const size of [0, 1, 125, 126, 300, 65_535, 65_536, 70_000]) {
        const bytes = frame(Buffer.alloc(size, 7), { mask });
        const whole = new FrameBoundary();
        whole.feed(bytes);
        expect(whole.canClose(), `size ${size} mask ${mask} whole`).toBe(true);
        const split = new FrameBoundary();
        const inside: number[] = [];
        for (let i = 0; i < bytes.length; i++) {
          split.feed(bytes.subarray(i, i + 1));
          if (split.canClose() && i < bytes.length - 1) inside.push(i);
        }
        expect(inside, `size ${size} mask ${mask}: boundaries inside the frame`).toEqual([]);
        expect(split.canClose()).toBe(true);
      }
    }
  });

  it('follows several frames in one chunk and a frame split across chunks, fragments and pings included', () => {
    const text = frame(Buffer.from('part one'), { opcode: 1, fin: false });
    const ping = frame(Buffer.from('p'), { opcode: 9 });
    const rest = frame(Buffer.from('part two'), { opcode: 0 });
    const all = Buffer.concat([text, ping, rest]);
    const b = new FrameBoundary();
    b.feed(all.subarray(0, text.length + 1));
    expect(b.canClose()).toBe(false);
    b.feed(all.subarray(text.length + 1, text.length + ping.length));
    // Between the fragments (after the ping): a control frame may go here.
    expect(b.canClose()).toBe(true);
    b.feed(all.subarray(text.length + ping.length, all.length - 1));
    expect(b.canClose()).toBe(false);
    b.feed(all.subarray(all.length - 1));
    expect(b.canClose()).toBe(true);
  });

  it("never after the upstream's own close frame", () => {
    const b = new FrameBoundary();
    b.feed(frame(Buffer.from([0x03, 0xe8]), { opcode: 8 }));
    expect(b.canClose()).toBe(false);
  });

  it('the close frame it sends is 1008 "revoked", unmasked, final', () => {
    expect([...CLOSE_REVOKED.subarray(0, 4)]).toEqual([0x88, 9, 0x03, 0xf0]);
    expect(CLOSE_REVOKED.subarray(4).toString()).toBe('revoked');
    expect(CLOSE_REVOKED.readUInt16BE(2)).toBe(1008);
  });

  it('the close frame for credentials that ended is 1008 "expired"; closeFrame writes any code and reason', () => {
    expect([...CLOSE_EXPIRED.subarray(0, 4)]).toEqual([0x88, 9, 0x03, 0xf0]);
    expect(CLOSE_EXPIRED.subarray(4).toString()).toBe('expired');
    const going = closeFrame(1001, 'drain');
    expect([...going]).toEqual([0x88, 7, 0x03, 0xe9, ...Buffer.from('drain')]);
  });
});
