/**
 * The identity the gateway derived for a request, whatever proved it (browser session, bearer access
 * token, machine token, password sign-in). Policies, claim-to-header mapping and the signed assertion
 * all read this one shape.
 */
export type AuthMethod = 'session' | 'bearer' | 'basic';

export interface Identity {
  /** `sub` claim. For machine (client_credentials) tokens Cognito sets it to the client id. */
  sub: string;
  /** `cognito:username`, else `username` (access tokens), else `preferred_username`. Absent for machines. */
  username?: string;
  email?: string;
  /** Cognito sends a boolean in tokens and the string "true" from userInfo; normalised to boolean. */
  emailVerified: boolean;
  /** `cognito:groups` (absent claim = no groups). */
  groups: string[];
  /** OAuth scopes (access tokens: the `scope` claim split on spaces). */
  scopes: string[];
  /** `client_id` (access tokens) or `aud` (ID tokens). */
  clientId?: string;
  /** `COGNITO` for the pool's own users, else each `providerName` from the `identities` claim. */
  identityProviders: string[];
  authMethod: AuthMethod;
  /** True for client_credentials tokens (no user). */
  machine: boolean;
  issuer: string;
  /** Every claim of the token the identity came from (ID token for sessions, access token for bearer). */
  claims: Record<string, unknown>;
}

/** Builds an Identity from verified JWT claims. Pure. */
export function identityFromClaims(
  claims: Record<string, unknown>,
  authMethod: AuthMethod,
  opts: { groupsClaim?: string } = {},
): Identity {
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const rawGroups = claims[opts.groupsClaim ?? 'cognito:groups'];
  const groups = Array.isArray(rawGroups)
    ? (rawGroups as unknown[]).filter((g): g is string => typeof g === 'string')
    : typeof rawGroups === 'string' && rawGroups
      ? [rawGroups]
      : [];
  const scope = str(claims.scope);
  const identities = Array.isArray(claims.identities) ? (claims.identities as unknown[]) : [];
  const providers = identities
    .map((i) => (i && typeof i === 'object' ? str((i as Record<string, unknown>).providerName) : undefined))
    .filter((p): p is string => !!p);
  const username = str(claims['cognito:username']) ?? str(claims.username) ?? str(claims.preferred_username);
  const aud = Array.isArray(claims.aud) ? str(claims.aud[0]) : str(claims.aud);
  const clientId = str(claims.client_id) ?? aud;
  const sub = str(claims.sub) ?? '';
  const machine = claims.token_use === 'access' && !username && !!clientId && sub === clientId;
  const ev = claims.email_verified;
  return {
    sub,
    username,
    email: str(claims.email),
    emailVerified: ev === true || ev === 'true',
    groups,
    scopes: scope ? scope.split(/\s+/).filter(Boolean) : [],
    clientId,
    identityProviders: providers.length > 0 ? providers : machine ? [] : ['COGNITO'],
    authMethod,
    machine,
    issuer: str(claims.iss) ?? '',
    claims,
  };
}
