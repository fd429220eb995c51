/**
 * W3C Trace Context: a valid `traceparent` from the client is passed on unchanged (the gateway is an
 * intermediary, not a span of its own); one is added when absent or malformed, so every upstream
 * request and every log line can be joined on the trace id.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The two ASCII hex digits of each byte value, at 2 × byte. */
const HEX_DIGITS = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const digits = b.toString(16).padStart(2, '0');
  HEX_DIGITS[2 * b] = digits.charCodeAt(0);
  HEX_DIGITS[2 * b + 1] = digits.charCodeAt(1);
}
/** Random bytes drawn in batches (one getRandomValues call per 170 trace contexts). */
const pool = new Uint8Array(4080);
let poolOffset = pool.length;
/**
 * A new traceparent's text, `00-<32 hex>-<16 hex>-01`, written as bytes and decoded once: one flat
 * string instead of one string per pair of digits.
 */
const text = new Uint8Array(55);
text.set([48, 48, 45], 0); // "00-"
text[35] = 45; // "-"
text.set([45, 48, 49], 52); // "-01"
const decoder = new TextDecoder();

function newTraceparent(): string {
  if (poolOffset + 24 > pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  let at = 3;
  for (let i = poolOffset; i < poolOffset + 24; i++) {
    // The 16 bytes of the trace id, "-", then the 8 of the parent id.
    if (at === 35) at = 36;
    const b = 2 * pool[i]!;
    text[at++] = HEX_DIGITS[b]!;
    text[at++] = HEX_DIGITS[b + 1]!;
  }
  poolOffset += 24;
  return decoder.decode(text);
}

export interface TraceContext {
  traceparent: string;
  traceId: string;
  /** True when the gateway made it (the upstream gets it as a new header). */
  added: boolean;
}

export function traceContextFor(incoming: string | null): TraceContext {
  const m = incoming ? TRACEPARENT.exec(incoming.trim()) : null;
  if (m && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!)) return { traceparent: incoming!.trim(), traceId: m[1]!, added: false };
  const traceparent = newTraceparent();
  return { traceparent, traceId: traceparent.slice(3, 35), added: true };
}
