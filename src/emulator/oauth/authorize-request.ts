import type { ClientRecord, EmulatorState, PoolState } from '../state';
import { isS256Challenge } from './pkce';

/** A validated `/oauth2/authorize` (or `/login`) request. */
export interface AuthorizeRequest {
  pool: PoolState;
  client: ClientRecord;
  redirectUri: string;
  state?: string;
  scopes: string[];
  nonce?: string;
  codeChallenge?: string;
  /** `COGNITO` for the pool's own form, else a federated provider's name. */
  identityProvider: string;
  prompt?: string;
}

export type AuthorizeOutcome =
  | { kind: 'ok'; request: AuthorizeRequest }
  /** Unknown client or unregistered redirect_uri: the hosted UI's own error page, never the redirect_uri. */
  | { kind: 'error-page'; error: 'redirect_mismatch'; clientId?: string }
  | { kind: 'error-redirect'; redirectUri: string; error: string; description?: string; state?: string };

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

/** Applies Cognito's authorize rules, in Cognito's order (client and redirect first). Pure over `state`. */
export function validateAuthorizeRequest(state: EmulatorState, q: URLSearchParams): AuthorizeOutcome {
  const clientId = q.get('client_id') ?? undefined;
  const client = clientId ? state.findClient(clientId) : undefined;
  const pool = client && state.pool(client.poolId);
  if (!client || !pool) return { kind: 'error-page', error: 'redirect_mismatch', clientId };
  const redirectUri = q.get('redirect_uri') ?? '';
  if (!client.settings.callbackUrls.includes(redirectUri)) {
    return { kind: 'error-page', error: 'redirect_mismatch', clientId };
  }
  const stateParam = q.get('state') ?? undefined;
  const fail = (error: string, description?: string): AuthorizeOutcome => ({
    kind: 'error-redirect',
    redirectUri,
    error,
    description,
    state: stateParam,
  });

  const responseType = q.get('response_type');
  if (!responseType) return fail('invalid_request', 'response_type is required');
  if (responseType !== 'code' && responseType !== 'token') return fail('unsupported_response_type');
  const flow = responseType === 'code' ? 'code' : 'implicit';
  if (!client.settings.allowedOAuthFlows.includes(flow)) return fail('unauthorized_client');
  if (flow === 'implicit') return fail('unsupported_response_type', 'the emulator does not implement the implicit grant');

  const challenge = q.get('code_challenge');
  const method = q.get('code_challenge_method');
  if (challenge !== null || method !== null) {
    if (method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
    if (challenge === null || !isS256Challenge(challenge)) return fail('invalid_request', 'invalid code_challenge');
  }

  const allowed = client.settings.allowedScopes;
  const requested = q.get('scope');
  let scopes: string[];
  if (requested === null || requested.trim() === '') {
    scopes = [...allowed];
  } else {
    // Scopes the client lacks are dropped silently; nothing left is an error.
    scopes = [...new Set(requested.split(/\s+/).filter((s) => allowed.includes(s)))];
    if (scopes.length === 0) return fail('invalid_scope');
  }

  const prompt = q.get('prompt') ?? undefined;
  if (prompt !== undefined && !prompt.split(' ').every((p) => PROMPTS.has(p))) return fail('invalid_request', 'invalid prompt');

  const supported = client.settings.supportedIdentityProviders;
  let identityProvider = q.get('identity_provider') ?? q.get('idp_identifier') ?? undefined;
  if (identityProvider === undefined) {
    // Without the pool's own form, a client with a single provider goes straight to it.
    if (supported.includes('COGNITO')) identityProvider = 'COGNITO';
    else if (supported.length === 1) identityProvider = supported[0];
  }
  if (
    identityProvider === undefined ||
    !supported.includes(identityProvider) ||
    (identityProvider !== 'COGNITO' && !pool.identityProviders.has(identityProvider))
  ) {
    return fail('invalid_request', 'identity provider not available for this client');
  }

  return {
    kind: 'ok',
    request: {
      pool,
      client,
      redirectUri,
      state: stateParam,
      scopes,
      nonce: q.get('nonce') ?? undefined,
      codeChallenge: challenge ?? undefined,
      identityProvider,
      prompt,
    },
  };
}

/** `redirect_uri?error=…[&error_description=…][&state=…]` */
export function errorRedirectUrl(o: Extract<AuthorizeOutcome, { kind: 'error-redirect' }>): string {
  const url = new URL(o.redirectUri);
  if (o.description) url.searchParams.set('error_description', o.description);
  url.searchParams.set('error', o.error);
  if (o.state !== undefined) url.searchParams.set('state', o.state);
  return url.toString();
}

/** `redirect_uri?code=…[&state=…]` */
export function codeRedirectUrl(redirectUri: string, code: string, state: string | undefined): string {
  const url = new URL(redirectUri);
  url.searchParams.set('code', code);
  if (state !== undefined) url.searchParams.set('state', state);
  return url.toString();
}
