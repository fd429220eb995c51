/**
 * Config fragment for apps and their policies (zod 4): the shape only. What the shape cannot
 * express is checked by validate.ts, whose `appsSchema` is this shape plus those checks.
 */
import * as z from 'zod';
import { durationBetween } from '../duration';
import { closestWord } from '../spelling';
import { ACTIONS, AUTH_METHODS } from './selectors';

/** A strict object whose unknown-key error lists the allowed keys and suggests the nearest one. */
function strictObject<S extends z.ZodRawShape>(shape: S, what: string) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== 'unrecognized_keys') return undefined;
      return iss.keys
        .map((k) => {
          const near = closestWord(k, allowed);
          return `unknown key "${k}" in ${what}${near ? ` (did you mean "${near}"?)` : ''}; allowed keys: ${allowed.join(', ')}`;
        })
        .join('; ');
    },
  });
}

const nonEmpty = (what: string) => z.string().min(1, `${what} must not be empty`);
const list = (what: string) => z.array(nonEmpty(what)).min(1, `list ${what} values, or remove the selector`);

const claimMatcherSchema = z.union(
  [
    z.string(),
    z.number(),
    z.boolean(),
    z.array(z.union([z.string(), z.number(), z.boolean()])).min(1, 'list at least one claim value'),
    strictObject({ pattern: nonEmpty('pattern') }, 'a claim pattern'),
  ],
  { error: 'a claim matcher is a value, a list of values, or { pattern: "regex" }' },
);
export type ClaimMatcher = z.infer<typeof claimMatcherSchema>;

export const ruleSchema = strictObject(
  {
    everyone: z.literal(true, { error: 'write everyone: true (or remove the rule)' }).optional(),
    authenticated: z.literal(true, { error: 'write authenticated: true (or remove the rule)' }).optional(),
    users: list('user').optional(),
    emails: list('email').optional(),
    email_domains: list('email domain').optional(),
    groups: list('group').optional(),
    identity_providers: list('identity provider').optional(),
    claims: z.record(nonEmpty('claim name'), claimMatcherSchema).optional(),
    scopes: list('scope').optional(),
    clients: list('client id').optional(),
    ip_ranges: list('CIDR').optional(),
    countries: list('country code').optional(),
    auth_methods: z
      .array(z.enum(AUTH_METHODS, { error: 'auth_methods values are session, bearer or basic' }))
      .min(1, 'list auth methods (session, bearer, basic), or remove the selector')
      .optional(),
  },
  'a rule (a rule has exactly one selector)',
);
export type Rule = z.infer<typeof ruleSchema>;

const methodSchema = z
  .string()
  .regex(/^[A-Za-z]+$/, 'an HTTP method is a word such as GET or POST')
  .transform((m) => m.toUpperCase());

export const policySchema = strictObject(
  {
    name: nonEmpty('policy name'),
    action: z.enum(ACTIONS, { error: 'action must be one of allow, block, bypass, service' }),
    paths: z.array(z.string()).min(1, 'list path globs, or remove paths to cover every path').optional(),
    methods: z.array(methodSchema).min(1, 'list methods, or remove methods to cover every method').optional(),
    include: z.array(ruleSchema).optional(),
    require: z.array(ruleSchema).optional(),
    exclude: z.array(ruleSchema).optional(),
    allowUnverifiedEmail: z.boolean().default(false),
  },
  'a policy',
);
export type Policy = z.infer<typeof policySchema>;

const upstreamSchema = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a URL; write e.g. http://127.0.0.1:9000` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `upstream must be http: or https:, got ${url.protocol}` });
  } else if (url.search || url.hash || value.includes('?') || value.includes('#')) {
    ctx.addIssue({ code: 'custom', message: 'upstream must not have a query or fragment; write scheme://host[:port][/base]' });
  }
});

export const appSchema = strictObject(
  {
    id: z.string().regex(/^[a-z0-9-]+$/, 'app id must be lowercase letters, digits and "-", e.g. my-app'),
    /** Shown on the 403 page; defaults to the id. */
    name: nonEmpty('app name').optional(),
    contact: z.string().optional(),
    hosts: z.array(z.string()).min(1, 'list hosts, or remove hosts to match any host').optional(),
    pathPrefix: z
      .string()
      .default('/')
      .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') || '/' : p)),
    upstream: upstreamSchema,
    /**
     * Unset (the default): paths match case-sensitively, and a path that differs from its lower-case
     * form is decided as both, the stricter answer winning (Express, ASP.NET, IIS serve `/Admin` as
     * `/admin`). `true`: the upstream really is case-sensitive, `/Admin` is another resource.
     * `false`: match case-insensitively.
     */
    caseSensitive: z.boolean().optional(),
    /** `refuse` (default): 400 for spellings some upstreams read as another path (see unusualSpellings). `forward`: accept them. */
    unusualPaths: z.enum(['refuse', 'forward']).default('refuse'),
    /** CORS for browser apps on other origins: preflights are answered before authentication. */
    cors: z
      .object({
        /** Exact origins (`https://app.example.com`) or `*` (never with allowCredentials). */
        allowedOrigins: z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'an origin like https://app.example.com, or *')).min(1),
        allowedMethods: z
          .array(
            z
              .string()
              .regex(/^[A-Za-z]+$/)
              .transform((m) => m.toUpperCase()),
          )
          .default(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']),
        allowedHeaders: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/)).default(['Authorization', 'Content-Type', 'X-Requested-With']),
        exposedHeaders: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/)).default([]),
        allowCredentials: z.boolean().default(false),
        maxAge: durationBetween('cors.maxAge', 0, 86400).default(600),
      })
      .strict()
      .refine((c) => !(c.allowCredentials && c.allowedOrigins.includes('*')), {
        message: 'cors: allowedOrigins "*" cannot be used with allowCredentials: true (browsers refuse it); list the origins',
      })
      .optional(),
    /** Names from `untrustedHeaders` (method overrides, other products' identity headers) this app's upstream may receive from clients. */
    trustClientHeaders: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'a header name')).default([]),
    session: strictObject(
      {
        absoluteLifetime: durationBetween('session.absoluteLifetime', 60, 365 * 86400).optional(),
        idleTimeout: durationBetween('session.idleTimeout', 60, 365 * 86400).optional(),
      },
      'session',
    ).optional(),
    login: strictObject(
      {
        identityProvider: nonEmpty('identityProvider').optional(),
        extraScopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope has no spaces or quotes')).optional(),
      },
      'login',
    ).optional(),
    /** The app's own app client / pool (its realm); validated by src/config/realms.ts. */
    idp: z.record(z.string(), z.unknown()).optional(),
    /** Per-app identity-header override; validated by the headers module. */
    headers: z.record(z.string(), z.unknown()).optional(),
    /** Cognito admin-API features for this app (see cognitoAdmin at the root). */
    cognito: strictObject(
      {
        /** AdminGetUser at sign-in and then once per userCacheRetention: disabled or deleted users lose access. */
        userLookup: z.boolean().default(false),
        /** Accept `Authorization: Basic` (checked with ADMIN_USER_PASSWORD_AUTH) as a sign-in. */
        passwordAuth: z.boolean().default(false),
      },
      'cognito',
    ).optional(),
    policies: z.array(policySchema),
  },
  'an app',
);
export type App = z.infer<typeof appSchema>;
export type AppInput = z.input<typeof appSchema>;

/** Root-level key: the status for a request that matches no app (never passed through). */
export const unmatchedSchema = z.union([z.literal(404), z.literal(403)], { error: 'unmatched must be 404 or 403' }).default(404);
export type Unmatched = z.infer<typeof unmatchedSchema>;
