/** Token verification (Cognito and generic OIDC), JWKS and verified-token caches, the identity assertion. */
export { createTokenVerifier, resolveVerifierOptions } from './verifier';
export type { TokenVerifier, VerifierOptions, VerifierStats } from './verifier';
export { createAssertionSigner, ASSERTION_MAX_TTL_SECONDS } from './assertion';
export type { AssertionSigner, AssertionSignerOptions } from './assertion';
export { generateAssertionKey, loadAssertionKeys, parseAssertionKey } from './assertion-keys';
export { createMemorySharedCache } from './shared-cache';
export type { SharedCache } from './shared-cache';
export { AssertionKeyError, JwksUnavailableError, JwtInvalidError, TokenConfigError, TokenError } from './errors';
export type { JwtInvalidCode, TokenErrorCode } from './errors';
export { MAX_TOKEN_LENGTH } from './compact';
export type { TokenUse } from './claims';
