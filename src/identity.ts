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
export function identityFromClaims(claims: Record<string, unknown>, authMethod: AuthMethod, opts: { groupsClaim?: string } = {}): Identity {
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const rawGroups = claims[opts.groupsClaim ?? 'cognito:groups'];
  const groups = Array.isArray(rawGroups)
    ? (rawGroups as unknown[]).filter((g): g is string => typeof g === 'string')
    : typeof rawGroups === 'string' && rawGroups
      ? [rawGroups]
      : [];
  const scope = str(claims.scope);
  const providers = identityProvidersOf(claims, groups);
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
    identityProviders: providers.length > 0 ? providers : machine || !looksLikeCognito(claims) ? [] : ['COGNITO'],
    authMethod,
    machine,
    issuer: str(claims.iss) ?? '',
    claims,
  };
}

/**
 * Where a user signed in, from the token alone. ID tokens carry `identities` (an array; AdminGetUser
 * gives the same as a JSON string). Access tokens do not, but Cognito puts every federated user in
 * the automatic group `{poolId}_{ProviderName}`, which access tokens do carry. Only a Cognito token
 * with neither is a pool user (`COGNITO`): a federated user must never pass for one.
 */
function identityProvidersOf(claims: Record<string, unknown>, groups: string[]): string[] {
  let identities: unknown = claims.identities;
  if (typeof identities === 'string') {
    try {
      identities = JSON.parse(identities);
    } catch {
      identities = undefined;
    }
  }
  const fromIdentities = (Array.isArray(identities) ? identities : [])
    .map((i) => (i && typeof i === 'object' ? (i as Record<string, unknown>).providerName : undefined))
    .filter((p): p is string => typeof p === 'string' && p.length > 0);
  if (fromIdentities.length > 0) return [...new Set(fromIdentities)];
  const issuerPool = typeof claims.iss === 'string' ? claims.iss.split('/').pop() : undefined;
  const fromGroups = groups
    .map((g) => AUTOMATIC_GROUP.exec(g))
    .filter((m): m is RegExpExecArray => !!m && (!issuerPool || m[1] === issuerPool))
    .map((m) => m[2]!);
  return [...new Set(fromGroups)];
}

/** `{region}_{poolSuffix}_{ProviderName}`: the group Cognito adds for each federated provider. */
const AUTOMATIC_GROUP = /^([a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+)_(.+)$/;

function looksLikeCognito(claims: Record<string, unknown>): boolean {
  return claims.token_use === 'id' || claims.token_use === 'access';
}
