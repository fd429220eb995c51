import { newUuid, stableUuid } from './ids';
import { PoolKeys } from './keys';
import { regionOfPool, type ClientSeed, type IdentityProviderSeed, type ParsedSeed, type PoolSeed, type PreTokenGeneration, type UserSeed } from './seed';

/** The emulator's in-memory world: pools and everything issued from them. Times are ms from `now()`. */

export type UserStatus =
  | 'UNCONFIRMED'
  | 'CONFIRMED'
  | 'ARCHIVED'
  | 'COMPROMISED'
  | 'UNKNOWN'
  | 'RESET_REQUIRED'
  | 'FORCE_CHANGE_PASSWORD'
  | 'EXTERNAL_PROVIDER';

export interface FederatedLink {
  providerName: string;
  providerType: string;
  userId: string;
  dateCreated: number;
}

export interface UserRecord {
  username: string;
  sub: string;
  password: string;
  enabled: boolean;
  status: UserStatus;
  /** Every value a string, as Cognito stores them; `sub` is kept separately. */
  attributes: Record<string, string>;
  groups: Set<string>;
  createdAt: number;
  modifiedAt: number;
  federated?: FederatedLink;
  /** Base32 TOTP secret of the user's authenticator app: sign-ins then need SOFTWARE_TOKEN_MFA. */
  totpSecret?: string;
  /** SMS MFA on: sign-ins then need SMS_MFA (a code "texted" to `phone_number`). */
  smsMfa?: boolean;
}

export interface GroupRecord {
  name: string;
  description?: string;
  precedence?: number;
  createdAt: number;
  modifiedAt: number;
}

export type TimeUnit = 'seconds' | 'minutes' | 'hours' | 'days';

export interface ClientRecord {
  poolId: string;
  settings: ClientSeed;
  createdAt: number;
  modifiedAt: number;
  /** Units the admin API reports lifetimes in (kept as given to Create/UpdateUserPoolClient). */
  units?: { accessToken: TimeUnit; idToken: TimeUnit; refreshToken: TimeUnit };
}

export interface IdentityProviderRecord {
  name: string;
  type: string;
  attributeMapping?: Record<string, string>;
  users: IdentityProviderSeed['users'];
  /** ProviderDetails given to Create/UpdateIdentityProvider (seeded providers have none). */
  details?: Record<string, string>;
  idpIdentifiers?: string[];
  createdAt?: number;
  modifiedAt?: number;
}

/** The pool's MFA settings (SetUserPoolMfaConfig / GetUserPoolMfaConfig). */
export interface PoolMfaConfig {
  configuration: 'OFF' | 'ON' | 'OPTIONAL';
  softwareToken: boolean;
  /** SmsMfaConfiguration as given (SmsAuthenticationMessage, SmsConfiguration). */
  sms?: Record<string, unknown>;
}

export interface PoolState {
  id: string;
  name: string;
  region: string;
  createdAt: number;
  resourceServers: PoolSeed['resourceServers'];
  groups: Map<string, GroupRecord>;
  clients: Map<string, ClientRecord>;
  /** Keyed by lowercased username: usernames are case-insensitive, as in new Cognito pools. */
  users: Map<string, UserRecord>;
  identityProviders: Map<string, IdentityProviderRecord>;
  keys: PoolKeys;
  preTokenGeneration?: PreTokenGeneration;
  /** `global`: tokens carry the issuer-cognito-idp form as `iss`. */
  issuerForm?: 'regional' | 'global';
  /** CreateUserPool/UpdateUserPool settings as last given (Policies, AutoVerifiedAttributes, …). */
  settings?: Record<string, unknown>;
  modifiedAt?: number;
  mfa?: PoolMfaConfig;
}

/** A sign-in waiting for a challenge answer (the `Session` of AdminInitiateAuth / the hosted UI). */
export interface ChallengeSession {
  poolId: string;
  clientId: string;
  /** Lowercased username key. */
  username: string;
  challenge: 'NEW_PASSWORD_REQUIRED' | 'SOFTWARE_TOKEN_MFA' | 'SMS_MFA';
  /** SMS_MFA: the code that was texted. */
  smsCode?: string;
  expiresAt: number;
}

/** A text message the pool "sent" (SMS_MFA codes), for tests to read as a phone would. */
export interface SentSms {
  to: string;
  code: string;
  at: number;
}

/** Cognito's challenge sessions last 3 minutes. */
export const CHALLENGE_SESSION_LIFETIME_MS = 3 * 60_000;

/**
 * One sign-in that produced a refresh token. Its id is the `origin_jti` of every token minted from it,
 * so revoking it (RevokeToken, /oauth2/revoke, global sign-out) reaches those tokens too.
 */
export interface AuthSession {
  originJti: string;
  poolId: string;
  clientId: string;
  sub: string;
  scopes: string[];
  authTime: number;
  expiresAt: number;
  revoked: boolean;
}

export interface RefreshTokenRecord {
  originJti: string;
  /** Set when rotation replaced this token: it keeps working until then (the grace period). */
  diesAt?: number;
}

export interface AuthorizationCode {
  poolId: string;
  clientId: string;
  redirectUri: string;
  sub: string;
  scopes: string[];
  nonce?: string;
  codeChallenge?: string;
  authTime: number;
  expiresAt: number;
}

/** The hosted UI's own sign-in session (its `cognito` cookie). */
export interface HostedSession {
  poolId: string;
  sub: string;
  authTime: number;
  expiresAt: number;
}

/** A hosted-UI sign-in handed to a federated provider, waiting for its answer at /oauth2/idpresponse. */
export interface FederationFlow {
  /** The original /oauth2/authorize query, validated again when the provider answers. */
  authorizeQuery: string;
  providerName: string;
  expiresAt: number;
}

/** A code the emulated external provider gave the hosted UI (its own OIDC code, not the pool's). */
export interface ProviderCode {
  flowId: string;
  providerName: string;
  subject: string;
  claims: Record<string, string>;
  expiresAt: number;
}

export const CODE_LIFETIME_MS = 5 * 60_000;
export const HOSTED_SESSION_LIFETIME_MS = 60 * 60_000;

export class EmulatorState {
  readonly pools = new Map<string, PoolState>();
  readonly codes = new Map<string, AuthorizationCode>();
  readonly sessions = new Map<string, AuthSession>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly hostedSessions = new Map<string, HostedSession>();
  readonly federationFlows = new Map<string, FederationFlow>();
  readonly providerCodes = new Map<string, ProviderCode>();
  readonly challengeSessions = new Map<string, ChallengeSession>();
  /** The last SMS sent per pool and user (`{poolId}/{lowercased username}`). */
  readonly sentSms = new Map<string, SentSms>();
  /** Hosted-UI domain prefixes (CreateUserPoolDomain). The hosted UI itself stays at one base URL. */
  readonly domains = new Map<string, { poolId: string; createdAt: number }>();
  tokenEndpointDelayMs = 0;
  /** Test hook: the admin API answers 500 to every call. */
  adminApiFailing = false;
  /** Token-endpoint calls by grant type, from authenticated clients (tests count refreshes). */
  readonly tokenGrants = new Map<string, number>();
  private lastPrune = 0;

  constructor(readonly now: () => number) {}

  /**
   * Drops what can no longer be used (expired codes, dead refresh tokens, ended sessions), at most
   * once a minute, so long benchmarks do not grow memory without bound.
   */
  pruneExpired(): void {
    const now = this.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    for (const [k, v] of this.codes) if (now >= v.expiresAt) this.codes.delete(k);
    for (const [k, v] of this.hostedSessions) if (now >= v.expiresAt) this.hostedSessions.delete(k);
    for (const [k, v] of this.federationFlows) if (now >= v.expiresAt) this.federationFlows.delete(k);
    for (const [k, v] of this.providerCodes) if (now >= v.expiresAt) this.providerCodes.delete(k);
    // Kept a while past expiry so a late answer hears "session is expired", as from Cognito.
    for (const [k, v] of this.challengeSessions) if (now >= v.expiresAt + 10 * 60_000) this.challengeSessions.delete(k);
    for (const [k, v] of this.refreshTokens) {
      const session = this.sessions.get(v.originJti);
      const dead = !session || now >= session.expiresAt || (v.diesAt !== undefined && now >= v.diesAt);
      if (dead) this.refreshTokens.delete(k);
    }
    // Sessions stay (revoked ones too) while their access tokens may still be presented to userInfo;
    // none outlives its refresh token's lifetime plus a day (the longest access-token lifetime).
    for (const [k, v] of this.sessions) if (now >= v.expiresAt + 86_400_000) this.sessions.delete(k);
  }

  static async fromSeed(seed: ParsedSeed, now: () => number): Promise<EmulatorState> {
    const state = new EmulatorState(now);
    for (const pool of seed.pools) state.pools.set(pool.id, await buildPool(pool, now()));
    return state;
  }

  pool(poolId: string): PoolState | undefined {
    return this.pools.get(poolId);
  }

  /** Client ids are unique across pools, so the shared hosted UI finds the pool from the client. */
  findClient(clientId: string): ClientRecord | undefined {
    for (const pool of this.pools.values()) {
      const client = pool.clients.get(clientId);
      if (client) return client;
    }
    return undefined;
  }

  /** By username (case-insensitive) or, as Cognito's admin API allows, by `sub`. */
  findUser(pool: PoolState, usernameOrSub: string): UserRecord | undefined {
    const byName = pool.users.get(usernameOrSub.toLowerCase());
    if (byName) return byName;
    for (const user of pool.users.values()) if (user.sub === usernameOrSub) return user;
    return undefined;
  }

  userBySub(pool: PoolState, sub: string): UserRecord | undefined {
    for (const user of pool.users.values()) if (user.sub === sub) return user;
    return undefined;
  }

  /** True while an access/ID token minted from this session may still be honoured by userInfo. */
  sessionLive(originJti: string): boolean {
    const session = this.sessions.get(originJti);
    return !!session && !session.revoked;
  }

  revokeSession(originJti: string): void {
    const session = this.sessions.get(originJti);
    if (session) session.revoked = true;
  }

  /** AdminUserGlobalSignOut / AdminDisableUser: every refresh token of the user dies. */
  revokeUserSessions(poolId: string, sub: string): number {
    let n = 0;
    for (const session of this.sessions.values()) {
      if (session.poolId === poolId && session.sub === sub && !session.revoked) {
        session.revoked = true;
        n++;
      }
    }
    for (const [id, hosted] of this.hostedSessions) {
      if (hosted.poolId === poolId && hosted.sub === sub) this.hostedSessions.delete(id);
    }
    return n;
  }
}

async function buildPool(seed: PoolSeed, now: number): Promise<PoolState> {
  const pool: PoolState = {
    id: seed.id,
    name: seed.name ?? seed.id,
    region: regionOfPool(seed.id),
    createdAt: now,
    resourceServers: seed.resourceServers,
    groups: new Map(),
    clients: new Map(),
    users: new Map(),
    identityProviders: new Map(),
    keys: await PoolKeys.create(),
    preTokenGeneration: seed.preTokenGeneration,
    issuerForm: seed.issuerForm,
  };
  for (const g of seed.groups) {
    pool.groups.set(g.name, { ...g, createdAt: now, modifiedAt: now });
  }
  for (const idp of seed.identityProviders) {
    pool.identityProviders.set(idp.name, { name: idp.name, type: idp.type, attributeMapping: idp.attributeMapping, users: idp.users });
    const auto = federatedGroupName(seed.id, idp.name);
    pool.groups.set(auto, { name: auto, description: `Autogenerated group for users who sign in using ${idp.name}`, createdAt: now, modifiedAt: now });
  }
  for (const c of seed.clients) pool.clients.set(c.id, { poolId: seed.id, settings: { ...c }, createdAt: now, modifiedAt: now });
  for (const u of seed.users) pool.users.set(u.username.toLowerCase(), userFromSeed(seed.id, u, now));
  return pool;
}

/** A pool user from its seed entry (also the `addUser` test hook). */
export function userFromSeed(poolId: string, u: UserSeed, now: number): UserRecord {
  return {
    username: u.username,
    sub: u.sub ?? stableUuid(poolId, u.username),
    password: u.password,
    enabled: u.enabled,
    status: u.status,
    attributes: { ...u.attributes },
    groups: new Set(u.groups),
    createdAt: now,
    modifiedAt: now,
    ...(u.totpSecret ? { totpSecret: u.totpSecret } : {}),
    ...(u.smsMfa ? { smsMfa: true } : {}),
  };
}

/** Cognito's automatic group for a federated provider's users. */
export const federatedGroupName = (poolId: string, provider: string): string => `${poolId}_${provider}`;

/** Cognito's username for a federated user: `{provider}_{subject}`, lowercased. */
export const federatedUsername = (provider: string, subject: string): string => `${provider}_${subject}`.toLowerCase();

/**
 * Creates (first sign-in) or refreshes (later sign-ins) the pool user behind a provider's user,
 * copying mapped attributes as Cognito does on every federated sign-in.
 */
export function upsertFederatedUser(pool: PoolState, idp: IdentityProviderRecord, subject: string, claims: Record<string, string>, now: number): UserRecord {
  const username = federatedUsername(idp.name, subject);
  const mapped: Record<string, string> = {};
  const mapping = idp.attributeMapping ?? Object.fromEntries(Object.keys(claims).map((k) => [k, k]));
  for (const [poolAttr, claim] of Object.entries(mapping)) {
    const v = claims[claim];
    if (v !== undefined) mapped[poolAttr] = v;
  }
  let user = pool.users.get(username);
  if (!user) {
    const link: FederatedLink = { providerName: idp.name, providerType: idp.type, userId: subject, dateCreated: now };
    user = {
      username,
      sub: newUuid(),
      password: '',
      enabled: true,
      status: 'EXTERNAL_PROVIDER',
      attributes: {},
      groups: new Set([federatedGroupName(pool.id, idp.name)]),
      createdAt: now,
      modifiedAt: now,
      federated: link,
    };
    pool.users.set(username, user);
  }
  const link = user.federated!;
  user.attributes = {
    ...user.attributes,
    ...mapped,
    identities: JSON.stringify([
      {
        userId: link.userId,
        providerName: link.providerName,
        providerType: link.providerType,
        issuer: null,
        primary: true,
        dateCreated: link.dateCreated,
      },
    ]),
  };
  user.modifiedAt = now;
  return user;
}
