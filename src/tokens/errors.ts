/**
 * Typed errors of token verification. `description` is short, fixed text that is safe to send to a
 * client (RFC 6750 `error_description`: no token content, no quotes or backslashes); `code` is stable
 * for logs, metrics and tests; `httpStatus` is what a bearer-protected route should answer.
 */

export type JwtInvalidCode =
  | 'token_malformed'
  | 'token_too_large'
  | 'alg_not_allowed'
  | 'header_not_allowed'
  | 'kid_not_found'
  | 'signature_invalid'
  | 'claim_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'client_not_allowed'
  | 'token_use_mismatch'
  | 'nonce_mismatch';

export type TokenErrorCode = JwtInvalidCode | 'jwks_unavailable';

/** Base of every error the verifier throws on purpose. */
export abstract class TokenError extends Error {
  abstract readonly code: TokenErrorCode;
  abstract readonly httpStatus: 401 | 503;
  /** RFC 6750 / RFC 6749 error value for the response. */
  abstract readonly error: 'invalid_token' | 'temporarily_unavailable';
  readonly description: string;

  constructor(description: string, options?: { cause?: unknown }) {
    super(description, options);
    this.description = description;
    this.name = new.target.name;
  }
}

/** The token is not acceptable: answer 401 with `WWW-Authenticate: Bearer error="invalid_token"`. */
export class JwtInvalidError extends TokenError {
  readonly code: JwtInvalidCode;
  readonly httpStatus = 401 as const;
  readonly error = 'invalid_token' as const;

  constructor(code: JwtInvalidCode, description: string, options?: { cause?: unknown }) {
    super(description, options);
    this.code = code;
  }
}

/**
 * The signing keys could not be obtained (JWKS endpoint down, time-out, bad document) and no cached
 * key can decide. The token may be fine: answer 503, not 401, so clients retry instead of signing out.
 */
export class JwksUnavailableError extends TokenError {
  readonly code = 'jwks_unavailable' as const;
  readonly httpStatus = 503 as const;
  readonly error = 'temporarily_unavailable' as const;

  constructor(description = 'signing keys are temporarily unavailable', options?: { cause?: unknown }) {
    super(description, options);
  }
}

/** Invalid verifier or assertion-signer options. `key` names the option; the message says the fix. */
export class TokenConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.key = key;
    this.name = 'TokenConfigError';
  }
}

/** Assertion signing key material that cannot be used. `index` is the position in the key list. */
export class AssertionKeyError extends TokenConfigError {
  readonly index: number;
  constructor(index: number, message: string) {
    super(`assertion.keys[${index}]`, message);
    this.index = index;
    this.name = 'AssertionKeyError';
  }
}
