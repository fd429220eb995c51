/** Starting a sign-in: the authorization request with PKCE, its login-state cookie, the start limit. */
import * as oidc from 'openid-client';
import { addressKey } from '../cognito/password-auth';
import type { CompiledApp } from '../policy';
import { randomToken } from '../session';
import { StoreUnavailableError } from '../store';
import type { Gateway, RequestInfo } from './context';
import type { Realm } from './realms';
import { refuse } from './refuse';

/** Where the IdP sends the browser back. One fixed path on every host the gateway serves. */
export const CALLBACK_PATH = '/_auth/callback';

export function redirectResponse(location: string, setCookies: string[] = [], status = 302): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' });
  for (const c of setCookies) headers.append('set-cookie', c);
  return new Response(null, { status, headers });
}

/** Longer return targets would not fit the login-state cookie; such a user lands on the path alone. */
const MAX_RETURN_TO = 1500;

function boundedReturnTo(returnTo: string): string {
  if (returnTo.length <= MAX_RETURN_TO) return returnTo;
  const path = returnTo.split('?')[0]!;
  return path.length <= MAX_RETURN_TO ? path : '/';
}

/**
 * Starts the authorization-code flow with PKCE (S256), `state` and `nonce` always. The attempt's
 * secrets go into a login-state cookie keyed by `state`, so parallel sign-ins in several tabs do not
 * overwrite each other. Throws IdpUnavailableError when discovery fails.
 */
export async function startLogin(
  gw: Gateway,
  info: RequestInfo,
  opts: { returnTo: string; app?: CompiledApp; prompt?: string; identityProvider?: string; realm?: Realm },
): Promise<Response> {
  const limited = await signInStartLimited(gw, info);
  if (limited) return limited;
  // The app's realm (or the one the sign-in link named): its client id goes on the authorize request.
  const realm = opts.realm ?? gw.realms.of(opts.app);
  const config = await realm.provider.configuration();
  const state = randomToken(24);
  const nonce = randomToken(24);
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const codeChallenge = await oidc.calculatePKCECodeChallenge(codeVerifier);

  const signIn = opts.app ? gw.config.appSignIn?.[opts.app.id] : undefined;
  const scopes = new Set(signIn?.scopes ?? realm.idp.scopes);
  for (const s of opts.app?.login?.extraScopes ?? []) scopes.add(s);
  const params: Record<string, string> = {
    redirect_uri: `${info.origin}${CALLBACK_PATH}`,
    scope: [...scopes].join(' '),
    state,
    nonce,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  };
  // Cognito-only hint that skips the provider chooser; other providers ignore unknown parameters.
  const identityProvider = opts.identityProvider ?? signIn?.identityProvider ?? opts.app?.login?.identityProvider;
  if (identityProvider) params.identity_provider = identityProvider;
  if (opts.prompt) params.prompt = opts.prompt;
  const authorizeUrl = oidc.buildAuthorizationUrl(config, params);

  const setCookies = await gw.loginStates.create(
    state,
    { state, codeVerifier, nonce, returnTo: boundedReturnTo(opts.returnTo), app: opts.app?.id, realm: realm.name, createdAt: Math.floor(gw.now() / 1000) },
    info.cookieHeader,
    info.origin,
  );
  info.log.info('login started', { app: opts.app?.id, realm: realm.name, identityProvider: params.identity_provider });
  gw.metrics.signIns.inc({ outcome: 'started', reason: '' });
  return redirectResponse(authorizeUrl.href, setCookies);
}

/**
 * store.signInStarts: sign-in starts per client address, counted in the store (the fleet's limit
 * with a shared store). A refusal is 429 with Retry-After; a store that cannot answer follows
 * store.onError.signInRateLimits (open: not limited; closed: 503).
 */
async function signInStartLimited(gw: Gateway, info: RequestInfo): Promise<Response | undefined> {
  const limiter = gw.stores.signInStarts;
  if (!limiter) return undefined;
  const address = addressKey(info.clientAddress ?? info.peerAddress ?? 'unknown');
  try {
    const attempt = await limiter.attempt(address);
    if (attempt.ok) return undefined;
    gw.metrics.signIns.inc({ outcome: 'failed', reason: 'sign_in_rate_limited' });
    const req = new Request(`${info.origin}/_auth/login`, { headers: { accept: 'text/html' } });
    return refuse(req, info, 'sign_in_rate_limited', { headers: new Headers({ 'retry-after': String(attempt.retryAfterSeconds) }) }, { address });
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    if (gw.stores.settings.onError.signInRateLimits === 'open') return undefined;
    const req = new Request(`${info.origin}/_auth/login`, { headers: { accept: 'text/html' } });
    return refuse(req, info, 'store_unavailable', {}, { reason: 'sign-in rate limit' });
  }
}
