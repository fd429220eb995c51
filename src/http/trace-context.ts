/**
 * W3C Trace Context: a valid `traceparent` from the client is passed on unchanged (the gateway is an
 * intermediary, not a span of its own); one is added when absent or malformed, so every upstream
 * request and every log line can be joined on the trace id.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/** Random bytes drawn in batches (one getRandomValues call per 170 trace contexts). */
const pool = new Uint8Array(4080);
let poolOffset = pool.length;
function hex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  let out = '';
  for (let i = poolOffset; i < poolOffset + bytes; i++) out += HEX[pool[i]!];
  poolOffset += bytes;
  return out;
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
  const traceId = hex(16);
  return { traceparent: `00-${traceId}-${hex(8)}-01`, traceId, added: true };
}
