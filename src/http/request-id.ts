/**
 * Request ids: one per request, sent upstream as X-Request-Id, shown on error pages and written to
 * every log line, so a user's screenshot leads to the log.
 */

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What we accept from a trusted peer: short, and safe in logs, headers and HTML. */
const ACCEPTABLE_INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** 16 URL-safe characters from 96 random bits. */
export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_');
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
