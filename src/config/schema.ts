import * as z from 'zod';
import { duration, durationBetween } from '../duration';
import { appsSchema, unmatchedSchema } from '../policy';
import { cookieConfigSchema } from '../session';
import { headersConfigSchema } from '../proxy';

/**
 * The root of the gateway's config file. Each area owns its fragment (apps and policies in
 * src/policy, cookies in src/session, identity headers in src/proxy); this file composes them and
 * holds what belongs to no single area: the identity provider, sessions, redirects, proxies, the
 * assertion and the listener.
 *
 * Secrets (client secret, cookie secrets, assertion keys) may be written here but never have to be:
 * the environment variables in `src/config/load.ts` override them, and that is the recommended way.
 */

export const COGNITO_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/;

const httpUrl = (what: string) =>
  z.string().refine(
    (v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !u.hash;
      } catch {
        return false;
      }
    },
    { message: `${what} must be an absolute http(s) URL without query or fragment, e.g. https://auth.example.com` },
  );

/** A realm's name: it goes into cookie names (`<namePrefix>-<realm>_session`), logs and /_auth/me. */
export const REALM_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const realmName = (where: string) =>
  z.string().regex(REALM_NAME, { message: `${where} is 1-32 lowercase letters, digits and "-" (it becomes part of cookie names), e.g. merchant` });

const passwordAuthFlowSchema = z.enum(['admin', 'user'], {
  message: 'passwordAuthFlow is admin (AdminInitiateAuth, ADMIN_USER_PASSWORD_AUTH) or user (InitiateAuth, USER_PASSWORD_AUTH)',
});

export const idpSchema = z
  .object({
    /** Name of the realm of this (the default) app client, reported by /_auth/me. Default: `default`. */
    realm: realmName('idp.realm').optional(),
    /** `cognito` applies Cognito's token rules (token_use, client_id on access tokens, hosted-UI logout). */
    type: z.enum(['cognito', 'oidc']).default('cognito'),
    region: z.string().optional(),
    userPoolId: z.string().regex(COGNITO_POOL_ID, { message: 'userPoolId looks like us-east-1_AbC123xyz (region, underscore, id)' }).optional(),
    /** Issuer URL. Required for `oidc`; for `cognito` it is derived from region + userPoolId unless set (the emulator sets it). */
    issuer: httpUrl('idp.issuer').optional(),
    /** More accepted `iss` values, e.g. when a pool moves to Cognito's newer issuer host form. */
    extraIssuers: z.array(httpUrl('idp.extraIssuers[]')).default([]),
    clientId: z.string().min(1, { message: 'idp.clientId is the app client id from the Cognito console' }),
    /** Other app clients (machines, mobile apps) whose access tokens are accepted as bearer tokens. */
    bearerClients: z.array(z.string().min(1)).default([]),
    /** oidc only: accepted `aud` of JWT access tokens (RFC 9068 resource ids). Without it, `client_id` is checked. */
    audiences: z.array(z.string().min(1)).min(1).optional(),
    /** Prefer the GATEWAY_CLIENT_SECRET environment variable. Absent = public client. */
    clientSecret: z.string().min(1).optional(),
    /** How the client authenticates at the token endpoint when it has a secret. */
    clientAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
    /**
     * How password sign-in (form, Basic) asks Cognito: `admin` = AdminInitiateAuth
     * (ADMIN_USER_PASSWORD_AUTH, signed, IAM); `user` = InitiateAuth (USER_PASSWORD_AUTH, unsigned: no
     * AWS credentials), for clients that allow only ALLOW_USER_PASSWORD_AUTH.
     */
    passwordAuthFlow: passwordAuthFlowSchema.default('admin'),
    scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']),
    /** Where the signing keys are. Cognito: {issuer}/.well-known/jwks.json; other providers: from discovery. */
    jwksUri: httpUrl('idp.jwksUri').optional(),
    /** Override the hosted-UI base (custom domain). Discovery already reports it for real pools. */
    domain: httpUrl('idp.domain').optional(),
    /** Time limit for each call to the IdP (discovery, token, revoke). */
    timeout: durationBetween('idp.timeout', 1, 60, 'each discovery, token and revoke call; 0 would fail every sign-in').default(5),
    /** Claim holding group names (Cognito: cognito:groups; many OIDC providers: groups). */
    groupsClaim: z.string().default('cognito:groups'),
  })
  .strict()
  .superRefine((idp, ctx) => {
    if (idp.type === 'oidc' && !idp.issuer) {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: "idp.type oidc needs idp.issuer (the provider's issuer URL)" });
    }
    if (idp.type === 'cognito' && !idp.issuer && !idp.userPoolId) {
      ctx.addIssue({ code: 'custom', path: ['userPoolId'], message: 'idp.type cognito needs idp.userPoolId (e.g. us-east-1_AbC123xyz) or idp.issuer' });
    }
    if (!idp.scopes.includes('openid')) {
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'idp.scopes must include "openid", or no ID token is issued' });
    }
  });

/** Keys of `apps[].idp`: the client (and pool) fields define the app's realm; scopes and identityProvider apply to its sign-ins. */
const APP_IDP_KEYS = [
  'realm',
  'clientId',
  'clientSecret',
  'clientAuthMethod',
  'passwordAuthFlow',
  'bearerClients',
  'scopes',
  'identityProvider',
  'userPoolId',
  'region',
  'issuer',
  'extraIssuers',
  'jwksUri',
  'domain',
] as const;

/**
 * `apps[].idp`: the app's own app client (and, if needed, its own pool). Apps whose effective client
 * (issuer + client id) is the same share one realm: one cookie, one session. Unset fields are the
 * top-level `idp`'s. Cross-field rules (a pool without a client, names that collide) are in
 * src/config/realms.ts.
 */
export const appIdpSchema = z.strictObject(
  {
    /** Default: the app id (or the realm name of another app with the same client). */
    realm: realmName('apps[].idp.realm').optional(),
    clientId: z.string().min(1, { message: 'apps[].idp.clientId is the app client id from the Cognito console' }).optional(),
    /** Prefer `${VAR}` from the environment. Absent with a clientId of its own = public client. */
    clientSecret: z.string().min(1).optional(),
    clientAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
    /** Password sign-in with this client: admin or user (see idp.passwordAuthFlow). Default: the top-level idp's. */
    passwordAuthFlow: passwordAuthFlowSchema.optional(),
    /** Other app clients whose access tokens this app accepts as bearer tokens. Default: none (not the top-level list). */
    bearerClients: z.array(z.string().min(1)).optional(),
    /** Replaces idp.scopes for sign-ins to this app (must include openid). */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope has no spaces or quotes'))
      .min(1)
      .optional(),
    /** Cognito `identity_provider` on this app's authorize requests (COGNITO, Google, a SAML/OIDC provider). */
    identityProvider: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'a provider name such as COGNITO, Google or PartnerIdP')
      .optional(),
    userPoolId: z.string().regex(COGNITO_POOL_ID, { message: 'userPoolId looks like us-east-1_AbC123xyz (region, underscore, id)' }).optional(),
    region: z.string().optional(),
    issuer: httpUrl('apps[].idp.issuer').optional(),
    extraIssuers: z.array(httpUrl('apps[].idp.extraIssuers[]')).optional(),
    jwksUri: httpUrl('apps[].idp.jwksUri').optional(),
    domain: httpUrl('apps[].idp.domain').optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')} in apps[].idp; allowed keys: ${APP_IDP_KEYS.join(', ')}`
        : undefined,
  },
);
export type AppIdpConfig = z.output<typeof appIdpSchema>;

export const sessionSchema = z
  .object({
    /** Cookie sealing secrets, newest first, each >= 32 characters. Prefer GATEWAY_COOKIE_SECRETS. */
    secrets: z
      .array(z.string().min(32, { message: 'each session secret needs at least 32 characters; generate one with `openssl rand -base64 32`' }))
      .refine((list) => new Set(list).size === list.length, { message: 'the same secret is listed twice; remove the duplicate' })
      .default([]),
    absoluteLifetime: duration()
      .prefault('12h')
      .refine((v) => v >= 60, { message: 'session.absoluteLifetime must be at least 1m' }),
    idleTimeout: duration()
      .prefault('1h')
      .refine((v) => v >= 60, { message: 'session.idleTimeout must be at least 1m' }),
    /** Refresh tokens at least this often, so revocation and group changes take effect within it. */
    revalidateAfter: duration()
      .prefault('5m')
      .refine((v) => v >= 1, { message: 'session.revalidateAfter must be at least 1s' }),
    /** Opened sessions kept in memory per process (LRU): size it for the users active within ten minutes. */
    cacheSize: z.number().int().min(100).max(1_000_000).default(10_000),
    /** `store`: the cookie carries only the sealed session id; the session lives (encrypted) in `store`. */
    storage: z.enum(['cookie', 'store']).default('cookie'),
    /** Also keep the access token in the session (needed when headers.accessToken forwards it). */
  })
  .strict()
  .default({ secrets: [], absoluteLifetime: 43200, idleTimeout: 3600, revalidateAfter: 300, cacheSize: 10_000, storage: 'cookie' });

export const assertionSchema = z
  .object({
    enabled: z.boolean().default(true),
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, { message: 'assertion.header must be a header name like X-Auth-Assertion' })
      .default('X-Auth-Assertion'),
    /** `iss` of the assertion. Default: the gateway's public origin. */
    issuer: z.string().min(1, { message: 'assertion.issuer must not be empty; remove it to use publicUrl' }).optional(),
    ttl: duration()
      .default(60)
      .refine((s) => s >= 10 && s <= 300, { message: 'assertion.ttl must be between 10s and 5m' }),
    /** EC P-256 private keys (JWK JSON or PKCS8 PEM), newest first. Prefer GATEWAY_ASSERTION_KEYS. */
    keys: z.array(z.string()).default([]),
    /** More identity claims to carry (`name`, `custom:tenant`, any); also listed by /_auth/me. */
    claims: z
      .array(z.string().min(1))
      .default([])
      .refine((cs) => !cs.some((c) => ['iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti', 'groups', 'email', 'username'].includes(c)), {
        message: 'assertion.claims must not name a claim the assertion sets itself (iss aud sub iat exp nbf jti groups email username)',
      }),
  })
  .strict()
  .default({ enabled: true, header: 'X-Auth-Assertion', ttl: 60, keys: [], claims: [] });

export const tokensSchema = z
  .object({
    /** Tolerance for exp / nbf / iat between the gateway's clock and the IdP's. */
    clockSkew: durationBetween('tokens.clockSkew', 0, 600).prefault('60s'),
    /** Accepted JWS algorithms (asymmetric only). Cognito signs with RS256. */
    algorithms: z
      .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
      .min(1)
      .default(['RS256']),
    /** Verified-token cache: a hot bearer token costs one signature check, not one per request. */
    cache: z
      .object({ enabled: z.boolean().default(true), maxEntries: z.number().int().min(1).max(1_000_000).default(10_000) })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

const rateLimit = (max: number) =>
  z
    .object({ max: z.number().int().min(1).default(max), window: durationBetween('cognitoAdmin.passwordAuth window', 1, 86400).prefault('15m') })
    .strict()
    .prefault({});

/** Cognito's admin API (user look-ups, sign-out everywhere, password sign-in for API clients). */
export const cognitoAdminSchema = z
  .object({
    /** Default: idp.region, else the pool id's prefix. */
    region: z.string().optional(),
    /** Default: AWS. The COGNITO_ENDPOINT environment variable overrides it (the emulator). */
    endpoint: httpUrl('cognitoAdmin.endpoint').optional(),
    timeout: durationBetween('cognitoAdmin.timeout', 1, 60, 'each admin-API attempt; 0 would fail every call').prefault('3s'),
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** AdminGetUser at most once per this, per user. */
    userCacheRetention: durationBetween('cognitoAdmin.userCacheRetention', 1, 86400).prefault('5m'),
    userCacheMaxEntries: z.number().int().min(1).default(10_000),
    /** What /_auth/logout does without ?everywhere=: also AdminUserGlobalSignOut. */
    signOutEverywhere: z.boolean().default(false),
    /** Failed password sign-ins allowed per user and per client address in each window. */
    passwordAuth: z
      .object({ perUser: rateLimit(5), perAddress: rateLimit(20) })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const redirectsSchema = z
  .object({
    /** Hosts besides the gateway's own that `rd` may point to (`app.example.com`, `*.example.com`). */
    allowedHosts: z
      .array(
        z
          .string()
          .regex(/^(\*\.)?[^\s/\\@?#*]+$/, { message: 'write a host such as app.example.com, app.example.com:8443 or *.example.com (no scheme or path)' }),
      )
      .default([]),
  })
  .strict()
  .default({ allowedHosts: [] });

export const listenSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8787),
    /** Node listener hygiene (ignored on Workers). Durations in seconds; 0 turns a timeout off. */
    headersTimeout: duration().default(20),
    requestTimeout: duration().default(300),
    keepAliveTimeout: duration().default(5),
    idleTimeout: duration().default(120),
    maxConnections: z.number().int().min(1).default(10_000),
    maxHeaderCount: z.number().int().min(16).max(10_000).default(200),
    maxHeaderSize: z
      .number()
      .int()
      .min(8 * 1024)
      .max(1024 * 1024)
      .default(32 * 1024),
    shutdownTimeout: duration().default(20),
    /** Processes serving the port (node:cluster): a number, or `auto` for one per core. */
    workers: z.union([z.number().int().min(1).max(256), z.literal('auto')]).default(1),
  })
  .strict()
  .prefault({});

/**
 * Client headers an upstream must not trust, stripped from every request on top of the identity
 * headers: method overrides (the upstream would act on a method the policy never saw) and the
 * identity headers of other products (an upstream once set up for them may still read them).
 */
export const DEFAULT_UNTRUSTED_HEADERS = {
  names: [
    'X-HTTP-Method-Override',
    'X-HTTP-Method',
    'X-Method-Override',
    'X-Remote-User',
    'X-Remote-Email',
    'X-Remote-Groups',
    'X-WebAuth-User',
    'X-WebAuth-Email',
    'X-WebAuth-Groups',
    'X-Authenticated-User',
    'X-Authenticated-Userid',
    'X-Authenticated-Email',
    'X-Authenticated-Groups',
    'X-Consumer-Username',
    'X-Consumer-Id',
    'X-Consumer-Custom-Id',
    'X-Credential-Identifier',
    'X-User',
    'X-User-Id',
    'X-Username',
    'X-Email',
    'X-Groups',
    'X-Roles',
  ],
  prefixes: [
    'Cf-Access-',
    'X-Goog-Authenticated-',
    'X-Goog-Iap-',
    'X-Ms-Client-Principal',
    'X-Pomerium-',
    'X-Vouch-',
    'OIDC-Claim-',
    'OIDC-Access-Token',
    'OIDC-Id-Token',
  ],
} as const;

export const untrustedHeadersSchema = z
  .object({
    /** More exact names to strip (added to the defaults). */
    names: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'a header name')).default([]),
    /** More name prefixes to strip (added to the defaults). */
    prefixes: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'a header name prefix')).default([]),
  })
  .strict()
  .prefault({});

/** The admin listener (Node): /metrics, /healthz, /readyz. Off unless `admin.listen` is set; never the public port. */
export const adminSchema = z
  .object({
    listen: z
      .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535) })
      .strict()
      .optional(),
  })
  .strict()
  .prefault({});

/** The audit stream (JSON lines). Node: appended to `file`, else stdout; Workers: the console. */
export const auditSchema = z
  .object({
    enabled: z.boolean().default(true),
    file: z.string().min(1).optional(),
  })
  .strict()
  .prefault({});

/** Which proxy calls /_auth/verify decides which headers carry the original request. */
export const FORWARD_AUTH_PROXIES = ['nginx', 'traefik', 'caddy', 'envoy'] as const;
export type ForwardAuthProxy = (typeof FORWARD_AUTH_PROXIES)[number];
export const forwardAuthSchema = z
  .object({
    /** The proxy in front (nginx: X-Original-URL; traefik, caddy: X-Forwarded-*; envoy: ext_authz with path_prefix /_auth/verify). Unset: /_auth/verify is off. */
    proxy: z.enum(FORWARD_AUTH_PROXIES).optional(),
    /** Several kinds of proxy: the first entry whose CIDRs hold the peer wins; else `proxy`. */
    proxies: z.array(z.object({ cidrs: z.array(z.string()).min(1), proxy: z.enum(FORWARD_AUTH_PROXIES) }).strict()).default([]),
  })
  .strict()
  .prefault({});

/**
 * The shared store (src/store): what gateway instances share so revocations and limits hold across a
 * fleet. `memory` (default) is this process only; `redis` is shared by every instance pointed at it.
 * GATEWAY_REDIS_URL, GATEWAY_REDIS_USERNAME and GATEWAY_REDIS_PASSWORD override url and AUTH.
 */
const storeFailMode = z.enum(['closed', 'open']);
export const storeSchema = z
  .object({
    /** `durable-object`: Workers only, with the GATEWAY_STORE Durable Object binding (wrangler.toml). */
    type: z.enum(['memory', 'redis', 'durable-object']).default('memory'),
    /** redis://[user:password@]host:port/db, or rediss:// for TLS. Prefer GATEWAY_REDIS_URL. */
    url: z
      .string()
      .regex(/^rediss?:\/\//, { message: 'store.url looks like redis://127.0.0.1:6379/0 (rediss:// for TLS)' })
      .optional(),
    /** Prepended to every key: several gateways or environments on one Redis. */
    keyPrefix: z.string().max(64).default('cgw:'),
    /** TLS even for a redis:// URL. */
    tls: z.boolean().default(false),
    /** Redis Cluster: url is one seed node. Keys carry hash tags, so multi-key reads stay in one slot. */
    cluster: z.boolean().default(false),
    /** Each store call's time limit in milliseconds: the gateway never waits longer. */
    timeoutMs: z.number().int().min(10, { message: 'store.timeoutMs must be at least 10 (ms)' }).max(10_000).default(250),
    /** At most one "store unavailable" log line per this interval. */
    errorLogInterval: durationBetween('store.errorLogInterval', 1, 3600).prefault('1m'),
    /** What each feature does while the store is unavailable. */
    onError: z
      .object({
        /** closed: answer 503 rather than accept a session or token that may be revoked. open: what this instance knows. */
        revocation: storeFailMode.default('closed'),
        /** closed: password sign-in answers 503. open: this instance's own counters. */
        passwordRateLimits: storeFailMode.default('closed'),
        /** open: sign-in starts are not limited. closed: 503. */
        signInRateLimits: storeFailMode.default('open'),
      })
      .strict()
      .prefault({}),
    /** Sign-in starts (redirects to the IdP) per client address: off unless set. */
    signInStarts: z
      .object({ max: z.number().int().min(1), window: durationBetween('store.signInStarts.window', 1, 86400).prefault('1m') })
      .strict()
      .optional(),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    /** The gateway's external origin (https://gw.example.com). Default: taken from each request's Host. */
    publicUrl: httpUrl('publicUrl').optional(),
    listen: listenSchema,
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** `json` (one object per line, for machines) or `pretty` (time, level, message, key=value). */
    logFormat: z.enum(['json', 'pretty']).default('json'),
    idp: idpSchema,
    session: sessionSchema,
    cookies: cookieConfigSchema.prefault({}),
    headers: headersConfigSchema,
    redirects: redirectsSchema,
    assertion: assertionSchema,
    tokens: tokensSchema,
    cognitoAdmin: cognitoAdminSchema,
    /** Peers (CIDRs) whose X-Forwarded-* headers are believed. None by default. */
    trustedProxies: z.array(z.string()).default([]),
    forwardAuth: forwardAuthSchema,
    untrustedHeaders: untrustedHeadersSchema,
    admin: adminSchema,
    audit: auditSchema,
    store: storeSchema,
    /** Time to the upstream's response headers. */
    upstreamTimeout: durationBetween('upstreamTimeout', 1, 3600, 'time to the response headers; 0 would answer every request with 504').default(30),
    unmatched: unmatchedSchema,
    apps: appsSchema,
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type GatewayConfig = z.output<typeof configSchema>;
export type IdpConfig = GatewayConfig['idp'];
