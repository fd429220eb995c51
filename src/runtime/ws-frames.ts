/**
 * Where the WebSocket frames an upstream sends its client begin and end (RFC 6455 §5.2), watched
 * on the bytes the gateway pipes through, so that a connection whose credentials ended (revoked,
 * expired) can be told why with a close frame (1008, policy violation) instead of a cut: the gateway may only insert one between two
 * frames. Control frames may come between the fragments of a message, and are never compressed
 * (permessage-deflate sets RSV1 on data frames only), so a close frame is valid at any boundary.
 */

/** A server's close frame (unmasked: server to client) with a status code and a short ASCII reason (≤ 123 bytes). */
export function closeFrame(code: number, reason: string): Buffer {
  const text = Buffer.from(reason, 'ascii');
  return Buffer.from([0x88, 2 + text.length, code >> 8, code & 0xff, ...text]);
}

/** 1008 (policy violation), `revoked`: a sign-out or revocation ended the credentials. */
export const CLOSE_REVOKED = closeFrame(1008, 'revoked');
/** 1008 (policy violation), `expired`: the session reached its absolute lifetime, or the token its exp. */
export const CLOSE_EXPIRED = closeFrame(1008, 'expired');

export class FrameBoundary {
  /** Payload bytes of the current frame still to come. */
  private need = 0;
  /** A frame head still incomplete (its first bytes). */
  private head: number[] | undefined;
  /** The upstream sent a close frame: nothing may follow it. */
  private closed = false;

  /** True when the bytes seen so far end exactly after a whole frame, and none was a close frame. */
  canClose(): boolean {
    return this.need === 0 && this.head === undefined && !this.closed;
  }

  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.need > 0) {
        const take = Math.min(this.need, chunk.length - i);
        this.need -= take;
        i += take;
        continue;
      }
      const h = this.head ?? [];
      h.push(chunk[i++]!);
      this.head = h;
      if (h.length < 2) continue;
      const len7 = h[1]! & 0x7f;
      const size = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (h[1]! & 0x80 ? 4 : 0);
      if (h.length < size) continue;
      if ((h[0]! & 0x0f) === 0x8) this.closed = true;
      this.need = len7 === 126 ? h[2]! * 256 + h[3]! : len7 === 127 ? readLength64(h) : len7;
      this.head = undefined;
    }
  }
}

function readLength64(h: number[]): number {
  let n = 0;
  for (let k = 2; k < 10; k++) n = n * 256 + h[k]!;
  return n;
}
