/**
 * The realms of a running gateway (src/config/realms.ts): per app client its identity provider
 * (discovery, token endpoint with that client's credentials), token rules (that client as audience),
 * refresher, session cookies of its own and, on the admin API's pool, password sign-in with that
 * client. The default realm is the top-level idp and keeps the gateway's original parts, so a config
 * without realms runs exactly as before.
 */
import type { RealmConfig } from '../config/realms';
import type { IdpConfig } from '../config/schema';
import type { PasswordAuthenticator } from '../cognito';
import type { IdentityProvider } from '../oidc/provider';
import type { Refresher } from '../oidc/refresh';
import type { SessionData } from '../oidc/session-data';
import type { CompiledApp } from '../policy';
import type { SessionStore } from '../session';
import { cookiePairsOf, type CookiePair } from '../session/cookie-header';
import type { TokenVerifier } from '../tokens';

export interface Realm {
  name: string;
  isDefault: boolean;
  idp: IdpConfig;
  /** Same pool as the default realm (the admin API's): user look-ups and password sign-in work. */
  samePool: boolean;
  provider: IdentityProvider;
  /** Bound to this realm's client: ID tokens need it in `aud`, access tokens in `client_id`. */
  verifier: TokenVerifier;
  refresher: Refresher;
  /** Cookies `<namePrefix>_session` (default realm) or `<namePrefix>-<realm>_session`. */
  sessions: SessionStore<SessionData>;
  /** Password sign-in with this realm's client, in its idp.passwordAuthFlow (absent without a Cognito pool). */
  passwords?: PasswordAuthenticator;
}

export interface Realms {
  default: Realm;
  byName: ReadonlyMap<string, Realm>;
  /** The realm of an app (by id or compiled); the default realm for none. */
  of(app?: CompiledApp | string): Realm;
}

/** Cookie name prefix of a realm's sessions: the default realm keeps the configured one. */
export function realmCookiePrefix(namePrefix: string, realm: Pick<RealmConfig, 'name' | 'isDefault'>): string {
  return realm.isDefault ? namePrefix : `${namePrefix}-${realm.name}`;
}

export function createRealms(list: readonly Realm[], appRealms: Readonly<Record<string, string>>): Realms {
  const byName = new Map(list.map((r) => [r.name, r]));
  const fallback = list.find((r) => r.isDefault) ?? list[0]!;
  return {
    default: fallback,
    byName,
    of(app) {
      if (!app) return fallback;
      return byName.get(appRealms[typeof app === 'string' ? app : app.id] ?? '') ?? fallback;
    },
  };
}

/**
 * A verifier that expects this realm's clients unless the caller names others. Tokens of one pool
 * share one key cache and one verified-token cache (a cache hit still passes every claim rule).
 */
export function verifierForClients(inner: TokenVerifier, idTokenClients: string[], accessTokenClients: string[]): TokenVerifier {
  return {
    verifyIdToken: (jwt, call = {}) => inner.verifyIdToken(jwt, { ...call, clientIds: call.clientIds ?? idTokenClients }),
    verifyAccessToken: (jwt, call = {}) => inner.verifyAccessToken(jwt, { clientIds: call.clientIds ?? accessTokenClients }),
    stats: () => inner.stats(),
    keysLoaded: () => inner.keysLoaded(),
  };
}

/**
 * The session store the gateway strips and detects cookies with: the default realm's store, but
 * every realm's cookies count as the gateway's (never forwarded upstream; a session cookie of any
 * realm means "has a session" for the decision, which then checks the app's own realm).
 */
export function everyRealmsCookies(primary: SessionStore<SessionData>, others: readonly SessionStore<SessionData>[]): SessionStore<SessionData> {
  if (others.length === 0) return primary;
  // A loop, not others.some(closure): this runs for every cookie of every forwarded request.
  const isGatewayCookie = (name: string): boolean => {
    if (primary.isGatewayCookie(name)) return true;
    for (let i = 0; i < others.length; i++) if (others[i]!.isGatewayCookie(name)) return true;
    return false;
  };
  // One pass over the request's parsed cookies (shared, src/session/cookie-header.ts), in header
  // order; remembered while the parse is the same one.
  let lastPairs: readonly CookiePair[] | undefined;
  let lastUnion: readonly string[] = [];
  const cookieNames = (cookieHeader: string | null): readonly string[] => {
    const pairs = cookiePairsOf(cookieHeader);
    if (pairs !== lastPairs) {
      const names: string[] = [];
      for (let i = 0; i < pairs.length; i++) {
        const { name } = pairs[i]!;
        if (isGatewayCookie(name) && !names.includes(name)) names.push(name);
      }
      lastPairs = pairs;
      lastUnion = Object.freeze(names);
    }
    return lastUnion;
  };
  return {
    ...primary,
    cookieNames,
    isGatewayCookie,
  };
}

/** The realm a session was sealed for (sessions of the default realm carry no name). */
export function sessionRealm(gw: { realms: Pick<Realms, 'default'> }, session: Pick<SessionData, 'realm'>): string {
  return session.realm ?? gw.realms.default.name;
}
