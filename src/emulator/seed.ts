import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { duration } from '../duration';

/**
 * The emulator's seed: user pools with their app clients, resource servers, groups, users and
 * federated identity providers. Written as YAML (see config/demo-pool.yaml); durations accept seconds
 * or `5m` / `1h` / `30d`. Parsing fills Cognito's defaults, so the parsed types have no optional knobs.
 */

/** Cognito pool ids: `{region}_{suffix}`, e.g. `us-east-1_AbC123xyz`. */
export const POOL_ID_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/;

/** Attribute values may be written as YAML booleans or numbers; Cognito stores every value as a string. */
const attributeValue = z.union([z.string(), z.boolean(), z.number()]).transform((v) => String(v));
const attributes = z.record(z.string().min(1), attributeValue).default({});

export const OAUTH_FLOWS = ['code', 'implicit', 'client_credentials'] as const;
export type OAuthFlow = (typeof OAUTH_FLOWS)[number];

const clientSchema = z.strictObject({
  id: z.string().regex(/^[\w+.-]{1,128}$/, 'client ids are 1-128 letters, digits, _ + . -'),
  name: z.string().min(1).optional(),
  /** Absent: a public client (single-page app, native app) that sends only its client_id. */
  secret: z.string().min(1).optional(),
  callbackUrls: z.array(z.url()).max(100).default([]),
  logoutUrls: z.array(z.url()).max(100).default([]),
  allowedOAuthFlows: z.array(z.enum(OAUTH_FLOWS)).default(['code']),
  /** OIDC scopes (openid, email, phone, profile, aws.cognito.signin.user.admin) and `server/scope`. */
  allowedScopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']),
  supportedIdentityProviders: z.array(z.string().min(1)).default(['COGNITO']),
  explicitAuthFlows: z.array(z.string().min(1)).default(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']),
  idTokenValidity: duration().default(3600),
  accessTokenValidity: duration().default(3600),
  refreshTokenValidity: duration().default(30 * 86400),
  /** When on, each refresh answers with a new refresh token; the old one works for the grace period. */
  refreshTokenRotation: z.boolean().default(false),
  refreshTokenGracePeriod: duration().default(0),
  enableTokenRevocation: z.boolean().default(true),
  /** Cognito's PreventUserExistenceErrors=ENABLED: unknown users answer like wrong passwords. */
  preventUserExistenceErrors: z.boolean().default(true),
});

const groupSchema = z.strictObject({
  name: z.string().min(1).max(128),
  description: z.string().optional(),
  precedence: z.number().int().min(0).optional(),
});

const resourceServerSchema = z.strictObject({
  identifier: z.string().min(1),
  name: z.string().min(1).optional(),
  scopes: z.array(z.strictObject({ name: z.string().min(1), description: z.string().optional() })).default([]),
});

const userSchema = z.strictObject({
  username: z.string().min(1).max(128),
  password: z.string().min(1),
  /** Fixed `sub` (a UUID). Default: derived from pool id and username, stable across restarts. */
  sub: z.string().min(1).optional(),
  enabled: z.boolean().default(true),
  status: z.enum(['CONFIRMED', 'FORCE_CHANGE_PASSWORD', 'UNCONFIRMED', 'RESET_REQUIRED']).default('CONFIRMED'),
  attributes,
  groups: z.array(z.string()).default([]),
  /** A registered authenticator app (TOTP, RFC 6238, base32): sign-in then asks for SOFTWARE_TOKEN_MFA. */
  totpSecret: z
    .string()
    .transform((s) => s.replace(/[\s=]/g, '').toUpperCase())
    .pipe(z.string().regex(/^[A-Z2-7]{16,}$/, 'totpSecret is base32 (A-Z, 2-7), at least 16 characters'))
    .optional(),
  /** SMS MFA on (needs a `phone_number` attribute): sign-in then asks for SMS_MFA; the code "sent" is read with the `lastSmsCode` hook. */
  smsMfa: z.boolean().default(false),
});

const idpUserSchema = z.strictObject({
  username: z.string().min(1),
  password: z.string().min(1),
  /** The provider's subject for this user; Cognito names the user `{provider}_{sub}`, lowercased. */
  sub: z.string().min(1).optional(),
  attributes,
});

const identityProviderSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]{1,32}$/),
  type: z.enum(['OIDC', 'SAML']).default('OIDC'),
  /** Pool attribute name -> provider claim name. Default: every provider claim under its own name. */
  attributeMapping: z.record(z.string(), z.string()).optional(),
  users: z.array(idpUserSchema).default([]),
});

/** Claim values a pre-token-generation trigger may add: strings, numbers, booleans and lists of them. */
const claimValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);
/** Claims the trigger may not change (Cognito rejects or ignores these in claimsToAddOrOverride). */
export const RESERVED_CLAIMS = new Set([
  'acr',
  'amr',
  'aud',
  'at_hash',
  'auth_time',
  'azp',
  'c_hash',
  'exp',
  'iat',
  'iss',
  'jti',
  'nbf',
  'nonce',
  'origin_jti',
  'sub',
  'token_use',
  'client_id',
  'event_id',
  'scope',
  'username',
  'version',
  'cognito:username',
]);
const addClaims = z
  .record(z.string().min(1), claimValue)
  .default({})
  .refine((claims) => Object.keys(claims).every((k) => !RESERVED_CLAIMS.has(k)), {
    message: `addClaims may not set ${[...RESERVED_CLAIMS].join(', ')}`,
  });
/** Like a version-2 pre-token-generation Lambda trigger that always answers the same. */
const preTokenGenerationSchema = z.strictObject({
  idToken: z.strictObject({ addClaims }).default({ addClaims: {} }),
  accessToken: z.strictObject({ addClaims, addScopes: z.array(z.string().regex(/^\S+$/)).default([]) }).default({ addClaims: {}, addScopes: [] }),
});
export type PreTokenGeneration = z.output<typeof preTokenGenerationSchema>;

const poolSchema = z.strictObject({
  id: z.string().regex(POOL_ID_PATTERN, 'pool ids look like us-east-1_AbC123xyz'),
  name: z.string().min(1).optional(),
  resourceServers: z.array(resourceServerSchema).default([]),
  groups: z.array(groupSchema).default([]),
  clients: z.array(clientSchema).default([]),
  users: z.array(userSchema).default([]),
  identityProviders: z.array(identityProviderSchema).default([]),
  preTokenGeneration: preTokenGenerationSchema.optional(),
  /** `global`: tokens say `iss: https://issuer-cognito-idp.{region}.amazonaws.com/{poolId}` (discovery and JWKS stay). */
  issuerForm: z.enum(['regional', 'global']).default('regional'),
});

export const seedSchema = z.strictObject({ pools: z.array(poolSchema).min(1) }).superRefine((seed, ctx) => {
  const clientIds = new Set<string>();
  seed.pools.forEach((pool, p) => {
    const groups = new Set(pool.groups.map((g) => g.name));
    const customScopes = new Set(pool.resourceServers.flatMap((rs) => rs.scopes.map((s) => `${rs.identifier}/${s.name}`)));
    const idps = new Set(['COGNITO', ...pool.identityProviders.map((i) => i.name)]);
    pool.clients.forEach((client, c) => {
      const at = ['pools', p, 'clients', c];
      if (clientIds.has(client.id)) ctx.addIssue({ code: 'custom', path: at, message: `duplicate client id ${client.id}` });
      clientIds.add(client.id);
      for (const scope of client.allowedScopes) {
        if (scope.includes('/') && !customScopes.has(scope))
          ctx.addIssue({ code: 'custom', path: at, message: `scope ${scope} is not defined by a resource server` });
      }
      for (const idp of client.supportedIdentityProviders) {
        if (!idps.has(idp)) ctx.addIssue({ code: 'custom', path: at, message: `unknown identity provider ${idp}` });
      }
      if (client.allowedOAuthFlows.includes('client_credentials') && !client.secret)
        ctx.addIssue({ code: 'custom', path: at, message: 'client_credentials needs a client secret' });
    });
    const usernames = new Set<string>();
    pool.users.forEach((user, u) => {
      const at = ['pools', p, 'users', u];
      if (usernames.has(user.username.toLowerCase())) ctx.addIssue({ code: 'custom', path: at, message: `duplicate username ${user.username}` });
      usernames.add(user.username.toLowerCase());
      for (const g of user.groups) {
        if (!groups.has(g)) ctx.addIssue({ code: 'custom', path: at, message: `unknown group ${g}` });
      }
      if (user.smsMfa && !user.attributes.phone_number) ctx.addIssue({ code: 'custom', path: at, message: 'smsMfa needs a phone_number attribute' });
    });
  });
});

/** A seed as written (YAML or object literal): Cognito defaults may be omitted. */
export type EmulatorSeed = z.input<typeof seedSchema>;
/** A seed after parsing: defaults filled, durations in seconds. */
export type ParsedSeed = z.output<typeof seedSchema>;
export type PoolSeed = ParsedSeed['pools'][number];
/** An app client's settings; lifetimes and grace period in seconds. */
export type ClientSeed = PoolSeed['clients'][number];
export type UserSeed = PoolSeed['users'][number];
export type IdentityProviderSeed = PoolSeed['identityProviders'][number];

export const clientSettingsSchema = clientSchema;
export const userSeedSchema = userSchema;

/** Validates a seed and fills defaults; throws an Error listing every problem with its path. */
export function parseSeed(input: unknown): ParsedSeed {
  const result = seedSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid emulator seed:\n${problems.join('\n')}`);
  }
  return result.data;
}

export function loadSeedFile(path: string): ParsedSeed {
  return parseSeed(parseYaml(readFileSync(path, 'utf8')));
}

/** The region part of a pool id (`us-east-1_x` -> `us-east-1`). */
export function regionOfPool(poolId: string): string {
  return poolId.slice(0, poolId.indexOf('_'));
}
