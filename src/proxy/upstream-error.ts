/**
 * Why the upstream gave no usable response. Thrown by forwardRequest; the caller renders the page
 * (502 for `unreachable` and `invalid_response`, 504 for `timeout`).
 */
export type UpstreamErrorKind = 'unreachable' | 'timeout' | 'invalid_response';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly status: 502 | 504;

  constructor(
    readonly kind: UpstreamErrorKind,
    /** Upstream origin, for the log line (never includes the query string). */
    readonly upstream: string,
    /** Short machine-readable cause such as ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET, for logs. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`upstream ${upstream} ${kind === 'timeout' ? 'timed out' : kind === 'unreachable' ? 'unreachable' : 'sent an invalid response'}: ${detail}`, options);
    this.status = kind === 'timeout' ? 504 : 502;
  }
}
