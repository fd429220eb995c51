import * as oidc from 'openid-client';
import type { IdpConfig } from '../config/schema';

/**
 * The identity provider as openid-client sees it: discovered once, lazily, and rediscovered after a
 * failure at most once per cool-down so an IdP outage does not turn every request into a discovery.
 *
 * Cognito quirks this tolerates on purpose: the hosted-UI host differs from the issuer host (nothing
 * here compares them), and discovery omits `code_challenge_methods_supported` (we always send S256
 * and never consult `supportsPKCE()`).
 */
export interface IdentityProvider {
  /** Resolves the discovered configuration; throws IdpUnavailableError when the IdP cannot be reached. */
  configuration(): Promise<oidc.Configuration>;
  readonly issuer: string;
  readonly type: 'cognito' | 'oidc';
}

export class IdpUnavailableError extends Error {
  readonly httpStatus = 503;
  constructor(
    message: string,
    readonly timeout = false,
  ) {
    super(message);
    this.name = 'IdpUnavailableError';
  }
}

export interface IdentityProviderOptions {
  idp: IdpConfig;
  issuer: string;
  fetch: typeof fetch;
  now?: () => number;
  /** After a failed discovery, wait this long before trying again (ms). */
  retryAfterMs?: number;
}

export function createIdentityProvider(opts: IdentityProviderOptions): IdentityProvider {
  const now = opts.now ?? Date.now;
  const retryAfterMs = opts.retryAfterMs ?? 5_000;
  let current: Promise<oidc.Configuration> | undefined;
  let failedAt = 0;
  let lastError: Error | undefined;

  const discover = async (): Promise<oidc.Configuration> => {
    const { idp } = opts;
    const auth = !idp.clientSecret
      ? oidc.None()
      : idp.clientAuthMethod === 'client_secret_post'
        ? oidc.ClientSecretPost(idp.clientSecret)
        : oidc.ClientSecretBasic(idp.clientSecret);
    const issuerUrl = new URL(opts.issuer);
    const customFetch = ((url: string, init: RequestInit) => opts.fetch(url, init)) as oidc.CustomFetch;
    const config = await oidc.discovery(issuerUrl, idp.clientId, idp.clientSecret ? { client_secret: idp.clientSecret } : undefined, auth, {
      [oidc.customFetch]: customFetch,
      execute: issuerUrl.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
      timeout: idp.timeout,
    });
    if (!idp.domain) return config;
    const custom = new oidc.Configuration(
      withHostedUi(config.serverMetadata(), idp.domain),
      idp.clientId,
      idp.clientSecret ? { client_secret: idp.clientSecret } : undefined,
      auth,
    );
    custom[oidc.customFetch] = customFetch;
    custom.timeout = idp.timeout;
    if (issuerUrl.protocol === 'http:' || new URL(idp.domain).protocol === 'http:') oidc.allowInsecureRequests(custom);
    return custom;
  };

  return {
    issuer: opts.issuer,
    type: opts.idp.type,
    configuration() {
      if (!current) {
        if (lastError && now() - failedAt < retryAfterMs) {
          return Promise.reject(new IdpUnavailableError(`identity provider discovery failed: ${lastError.message}`));
        }
        current = discover().catch((e: unknown) => {
          current = undefined;
          failedAt = now();
          lastError = e as Error;
          throw toIdpError(e, 'discovery');
        });
      }
      return current;
    },
  };
}

/** A custom hosted-UI domain replaces the endpoints discovery reported (same paths, other origin). */
function withHostedUi(metadata: oidc.ServerMetadata, domain: string): oidc.ServerMetadata {
  const md: Record<string, unknown> = { ...metadata };
  const base = new URL(domain);
  for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'revocation_endpoint', 'end_session_endpoint']) {
    const v = md[key];
    if (typeof v === 'string') md[key] = new URL(new URL(v).pathname, base).href;
  }
  return md as oidc.ServerMetadata;
}

/**
 * An OAuth error answer from the IdP, normalised: the error code whether it came as a JSON body
 * (`{"error":"invalid_grant"}`, 400 or 401) or as a WWW-Authenticate challenge on a 401.
 */
export function oauthErrorCode(e: unknown): string | undefined {
  if (e instanceof oidc.ResponseBodyError) return e.error;
  if (e instanceof oidc.WWWAuthenticateChallengeError) {
    const challenge = e.cause.find((c) => typeof c.parameters.error === 'string');
    return challenge?.parameters.error ?? (e.status === 401 ? 'invalid_client' : 'invalid_request');
  }
  return undefined;
}

/** Errors that mean the gateway's own client credentials were refused: a configuration problem. */
export const CLIENT_AUTH_ERRORS = new Set(['invalid_client', 'unauthorized_client']);

/** Network failures, time-outs and 5xx from the IdP become IdpUnavailableError; OAuth errors pass through. */
export function toIdpError(e: unknown, during: string): Error {
  if (e instanceof oidc.ResponseBodyError || e instanceof oidc.AuthorizationResponseError) return e;
  if (e instanceof oidc.WWWAuthenticateChallengeError) return e;
  const err = e as Error & { code?: string; cause?: { name?: string; code?: string } };
  const timeout = err?.name === 'TimeoutError' || err?.cause?.name === 'TimeoutError' || err?.name === 'AbortError';
  if (timeout) return new IdpUnavailableError(`identity provider timed out during ${during}`, true);
  if (err instanceof oidc.ClientError && err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    return new IdpUnavailableError(`identity provider answered ${during} with an unexpected response`);
  }
  if (err instanceof TypeError || err?.cause) return new IdpUnavailableError(`identity provider unreachable during ${during}`);
  return err instanceof Error ? err : new Error(String(e));
}
