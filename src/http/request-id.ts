/**
 * Request ids: one per request, sent upstream as X-Request-Id, shown on error pages and written to
 * every log line, so a user's screenshot leads to the log.
 */

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What we accept from a trusted peer: short, and safe in logs, headers and HTML. */
const ACCEPTABLE_INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_CODES = Uint8Array.from(B64URL, (c) => c.charCodeAt(0));
/** Random bytes drawn in batches: one getRandomValues call per 341 ids instead of one per id. */
const pool = new Uint8Array(4092);
let poolOffset = pool.length;
/** The id's 16 ASCII characters, decoded once: one flat string instead of one per character. */
const text = new Uint8Array(16);
const decoder = new TextDecoder();

/** 16 URL-safe characters from 96 random bits. */
export function newRequestId(): string {
  if (poolOffset + 12 > pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  let at = 0;
  for (let i = poolOffset; i < poolOffset + 12; i += 3) {
    const n = (pool[i]! << 16) | (pool[i + 1]! << 8) | pool[i + 2]!;
    text[at++] = B64URL_CODES[n >> 18]!;
    text[at++] = B64URL_CODES[(n >> 12) & 63]!;
    text[at++] = B64URL_CODES[(n >> 6) & 63]!;
    text[at++] = B64URL_CODES[n & 63]!;
  }
  poolOffset += 12;
  return decoder.decode(text);
}

/**
 * The id for this request: the incoming X-Request-Id when the peer is a trusted proxy and the id is
 * well-formed (a load balancer's id then ties its logs to ours), else a new one. An untrusted client
 * must not choose the id: it could forge or collide with log entries.
 */
export function requestIdFor(headers: Headers, peerIsTrusted: boolean): string {
  if (peerIsTrusted) {
    const incoming = headers.get(REQUEST_ID_HEADER)?.trim();
    if (incoming && ACCEPTABLE_INCOMING_ID.test(incoming)) return incoming;
  }
  return newRequestId();
}
