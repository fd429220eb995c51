/**
 * Claim rules for verified tokens, applied on every verification, cache hits included. Pure.
 *
 * Cognito (aws-jwt-verify's rules): `iss` exactly one accepted issuer; `token_use` present and equal to
 * the expected one; the client on `aud` (ID tokens) or `client_id` (access tokens).
 * Generic OpenID Providers (`oidc`): no `token_use` needed; ID tokens on `aud` (and `azp` when `aud`
 * has several values, OpenID Connect Core §3.1.3.7); JWT access tokens (RFC 9068) on `aud` against the
 * configured audiences, else on `client_id`.
 * Both: `exp` required, `nbf` and `iat` not in the future, each with the clock skew; `sub` present.
 */
import { JwtInvalidError } from './errors';

export type TokenUse = 'id' | 'access';

export interface ClaimExpectations {
  mode: 'cognito' | 'oidc';
  tokenUse: TokenUse;
  issuers: readonly string[];
  /** Allowed clients: on `aud` for ID tokens, on `client_id` for access tokens. */
  clientIds: readonly string[];
  /** oidc mode access tokens: accepted `aud` values (without them, `client_id` is checked). */
  audiences?: readonly string[];
  clockSkewSeconds: number;
  nowSeconds: number;
  /** ID tokens: the nonce sent on the authorization request. */
  nonce?: string;
  /** The token's JOSE header `typ`, to refuse RFC 9068 access tokens offered as ID tokens. */
  headerTyp?: string;
}

const invalid = (code: ConstructorParameters<typeof JwtInvalidError>[0], description: string) => new JwtInvalidError(code, description);

function audienceList(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) return aud as string[];
  if (aud === undefined) return [];
  throw invalid('claim_invalid', 'token aud claim is not a string or string array');
}

function optionalNumber(claims: Record<string, unknown>, name: 'nbf' | 'iat'): number | undefined {
  const v = claims[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid('claim_invalid', `token ${name} claim is not a number`);
  return v;
}

/** `exp`, `nbf`, `iat` against the clock, each with `skew` seconds of tolerance (RFC 7519 §4.1.4-6). */
export function checkTimes(claims: Record<string, unknown>, nowSeconds: number, skew: number): void {
  const exp = claims.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('claim_invalid', 'token exp claim is missing or not a number');
  if (nowSeconds - skew >= exp) throw invalid('token_expired', 'token has expired');
  const nbf = optionalNumber(claims, 'nbf');
  if (nbf !== undefined && nbf > nowSeconds + skew) throw invalid('token_not_yet_valid', 'token is not valid yet');
  const iat = optionalNumber(claims, 'iat');
  if (iat !== undefined && iat > nowSeconds + skew) throw invalid('token_not_yet_valid', 'token was issued in the future');
}

export function checkIssuer(claims: Record<string, unknown>, issuers: readonly string[]): void {
  if (typeof claims.iss !== 'string' || !issuers.includes(claims.iss)) {
    throw invalid('issuer_mismatch', 'token issuer is not accepted');
  }
}

const isAccessTyp = (typ: string | undefined) => {
  const t = typ?.toLowerCase();
  return t === 'at+jwt' || t === 'application/at+jwt';
};

export function checkTokenUse(claims: Record<string, unknown>, e: ClaimExpectations): void {
  const use = claims.token_use;
  const wrong = e.tokenUse === 'id' ? 'token is not an ID token' : 'token is not an access token';
  if (e.mode === 'cognito') {
    if (use === undefined) throw invalid('token_use_mismatch', 'token_use claim is missing');
    if (use !== e.tokenUse) throw invalid('token_use_mismatch', wrong);
    return;
  }
  // oidc: token_use is a Cognito claim; honour it when present. RFC 9068 access tokens say so in typ.
  if (use !== undefined && use !== e.tokenUse) throw invalid('token_use_mismatch', wrong);
  if (e.tokenUse === 'id' && isAccessTyp(e.headerTyp)) throw invalid('token_use_mismatch', wrong);
  // An ID token must never pass as an access token: nonce and at_hash exist only in ID tokens.
  if (e.tokenUse === 'access' && !isAccessTyp(e.headerTyp) && (claims.nonce !== undefined || claims.at_hash !== undefined)) {
    throw invalid('token_use_mismatch', wrong);
  }
}

/** ID tokens: one allowed client in `aud`; with several audiences, `azp` must name an allowed client. */
export function checkIdTokenAudience(claims: Record<string, unknown>, clientIds: readonly string[]): void {
  const aud = audienceList(claims.aud);
  if (!aud.some((a) => clientIds.includes(a))) throw invalid('audience_mismatch', 'token audience is not an allowed client');
  const azp = claims.azp;
  if (azp !== undefined && (typeof azp !== 'string' || !clientIds.includes(azp))) {
    throw invalid('audience_mismatch', 'token azp is not an allowed client');
  }
  if (aud.length > 1 && azp === undefined) throw invalid('audience_mismatch', 'token with several audiences has no azp');
}

export function checkAccessTokenClient(claims: Record<string, unknown>, e: ClaimExpectations): void {
  // oidc: RFC 9068 access tokens name their resource in `aud`; check it when audiences are configured.
  if (e.mode === 'oidc' && e.audiences && e.audiences.length > 0) {
    const aud = audienceList(claims.aud);
    if (!aud.some((a) => e.audiences!.includes(a))) throw invalid('audience_mismatch', 'token audience is not accepted');
    return;
  }
  // Cognito access tokens carry no `aud` (without resource binding) but always `client_id`.
  if (typeof claims.client_id !== 'string' || !e.clientIds.includes(claims.client_id)) {
    throw invalid('client_not_allowed', 'token client is not allowed');
  }
}

export function checkNonce(claims: Record<string, unknown>, nonce: string): void {
  if (claims.nonce !== nonce) throw invalid('nonce_mismatch', 'token nonce does not match the request');
}

/** All claim rules, in a fixed order (issuer, token use, client, times, nonce). Throws JwtInvalidError. */
export function checkClaims(claims: Record<string, unknown>, e: ClaimExpectations): void {
  checkIssuer(claims, e.issuers);
  checkTokenUse(claims, e);
  if (e.tokenUse === 'id') checkIdTokenAudience(claims, e.clientIds);
  else checkAccessTokenClient(claims, e);
  checkTimes(claims, e.nowSeconds, e.clockSkewSeconds);
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) throw invalid('claim_invalid', 'token sub claim is missing');
  if (e.tokenUse === 'id' && e.nonce !== undefined) checkNonce(claims, e.nonce);
}
