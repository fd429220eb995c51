/**
 * W3C Trace Context: a valid `traceparent` from the client is passed on unchanged (the gateway is an
 * intermediary, not a span of its own); one is added when absent or malformed, so every upstream
 * request and every log line can be joined on the trace id.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

const hex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');

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
