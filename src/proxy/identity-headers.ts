/**
 * Identity headers for the upstream: the `headers` config fragment, the claim-to-header mapping,
 * and the strip rules that keep client-sent copies of those headers out.
 *
 * Values are encoded as described in ./header-value (percent-encoded UTF-8 for anything outside
 * printable ASCII, `%` itself, and `,` inside lists; `decodeURIComponent` restores them). Each value
 * is bounded by `maxValueBytes`: lists (groups) keep the first whole elements that fit; a single
 * value that does not fit is left out rather than cut. Either way a companion header
 * `<Header>-Truncated: true` tells the upstream that it did not get everything.
 */
import * as z from 'zod';
import type { Identity } from '../identity';
import { rememberFirst } from '../memo';
import { boundedListValue, boundedScalarValue } from './header-value';
import { BASE_IDENTITY_STRIP_RULES, canonicalHeaderName, mergeStripRules, type HeaderStripRules } from './headers';

/** RFC 9110 §5.6.2 token: the characters a header name may hold. */
const HEADER_NAME_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Headers the gateway or HTTP itself controls; mapping a claim onto them would break proxying. */
const RESERVED_HEADER_NAMES = new Set(
  [
    'host',
    'content-length',
    'content-type',
    'content-encoding',
    'transfer-encoding',
    'connection',
    'keep-alive',
    'te',
    'trailer',
    'upgrade',
    'expect',
    'proxy-authorization',
    'proxy-authenticate',
    'cookie',
    'set-cookie',
    'authorization',
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-forwarded-host',
    'x-request-id',
    'forwarded',
  ].map(canonicalHeaderName),
);

export const TRUNCATED_SUFFIX = '-Truncated';

export const HEADER_PRESETS = ['oauth2-proxy', 'authelia', 'alb'] as const;
export type HeaderPreset = (typeof HEADER_PRESETS)[number];

type ValueSource = (id: Identity) => unknown;
const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** What each preset sends. Header names follow the proxy the preset imitates. */
const PRESET_HEADERS: Record<HeaderPreset, Array<[header: string, source: ValueSource]>> = {
  'oauth2-proxy': [
    ['X-Forwarded-User', (id) => id.username ?? id.sub],
    ['X-Forwarded-Email', (id) => id.email],
    ['X-Forwarded-Groups', (id) => id.groups],
    ['X-Forwarded-Preferred-Username', (id) => str(id.claims.preferred_username) ?? id.username],
  ],
  authelia: [
    ['Remote-User', (id) => id.username ?? id.sub],
    ['Remote-Groups', (id) => id.groups],
    ['Remote-Email', (id) => id.email],
    ['Remote-Name', (id) => str(id.claims.name) ?? fullName(id.claims)],
  ],
  alb: [['x-amzn-oidc-identity', (id) => id.sub]],
};

function fullName(claims: Record<string, unknown>): string | undefined {
  const parts = [str(claims.given_name), str(claims.family_name)].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

export const DEFAULT_CLAIM_HEADERS: Readonly<Record<string, string>> = {
  'X-Auth-User': 'cognito:username',
  'X-Auth-Email': 'email',
  'X-Auth-Groups': 'cognito:groups',
};

function headerNameProblem(name: string): string | undefined {
  if (!HEADER_NAME_TOKEN.test(name)) {
    return `"${name}" is not a valid HTTP header name; use letters, digits and - (for example X-Auth-User)`;
  }
  if (RESERVED_HEADER_NAMES.has(canonicalHeaderName(name))) {
    return `"${name}" is a header the gateway or HTTP controls; pick another name (for example X-Auth-${name.replace(/^x-/i, '')})`;
  }
  return undefined;
}

const unverifiedEmailField = z.enum(['drop', 'forward'], { error: 'unverifiedEmail is drop (default) or forward' });

const presetsField = z.array(z.enum(HEADER_PRESETS, { error: `unknown preset; use any of: ${HEADER_PRESETS.join(', ')}` }));

const claimsField = z.record(z.string(), z.string().min(1, 'claim name is empty; write the claim to send, e.g. email')).superRefine((claims, ctx) => {
  for (const name of Object.keys(claims)) {
    const problem = headerNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

const accessTokenField = z.string().superRefine((v, ctx) => {
  if (v === 'none' || v === 'authorization') return;
  const problem = headerNameProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem}; or write none, or authorization for Authorization: Bearer` });
});

const stripPrefixesField = z.array(
  z
    .string()
    .regex(HEADER_NAME_TOKEN, 'not a valid header-name prefix; use letters, digits and - (for example X-Auth-)')
    .min(3, 'prefix too short: it would strip unrelated headers; use e.g. X-Auth-'),
);

const maxValueBytesField = z
  .number({ error: 'write a number of bytes, e.g. 4096' })
  .int('write a whole number of bytes')
  .min(64, 'at least 64 bytes')
  .max(65536, 'at most 65536 bytes; most upstreams refuse header lines over 8 KB');

interface HeadersConfigShape {
  presets: HeaderPreset[];
  claims: Record<string, string>;
  accessToken: string;
  stripPrefixes: string[];
  maxValueBytes: number;
}

/** Two mapped headers that are the same header to an upstream (case, `_` vs `-`) are a config error. */
function checkNoDuplicateHeaders(cfg: HeadersConfigShape, ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  for (const name of Object.keys(cfg.claims)) {
    const key = canonicalHeaderName(name);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['claims', name],
        message: `"${name}" and "${earlier}" are the same header to most upstreams (case and _ vs - do not count); keep one`,
      });
    }
    seen.set(key, name);
  }
  if (cfg.accessToken !== 'none' && cfg.accessToken !== 'authorization') {
    const clash = seen.get(canonicalHeaderName(cfg.accessToken));
    if (clash !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['accessToken'],
        message: `"${cfg.accessToken}" is already mapped under claims ("${clash}"); choose another header for the access token`,
      });
    }
  }
}

/** The `headers` config fragment (root key `headers`; apps may override, see mergeHeadersConfig). */
export const headersConfigSchema = z
  .object({
    presets: presetsField.default([]),
    claims: claimsField.default({ ...DEFAULT_CLAIM_HEADERS }),
    accessToken: accessTokenField.default('none'),
    stripPrefixes: stripPrefixesField.default(['X-Auth-']),
    maxValueBytes: maxValueBytesField.default(4096),
    /** An email the user has not verified is not an identity: by default it is left out of headers and the assertion. */
    unverifiedEmail: unverifiedEmailField.default('drop'),
  })
  .strict()
  .superRefine(checkNoDuplicateHeaders)
  .prefault({});

export type HeadersConfig = z.output<typeof headersConfigSchema>;

/** A per-app `headers` block: every field optional, no defaults (unset = inherit from the root). */
export const headersOverrideSchema = z
  .object({
    presets: presetsField.optional(),
    claims: claimsField.optional(),
    accessToken: accessTokenField.optional(),
    stripPrefixes: stripPrefixesField.optional(),
    maxValueBytes: maxValueBytesField.optional(),
    unverifiedEmail: unverifiedEmailField.optional(),
  })
  .strict();

export type HeadersOverride = z.output<typeof headersOverrideSchema>;

/**
 * An app's effective header config: each field the app sets replaces the root's (claims are
 * replaced as a whole, so an app can also drop a root mapping). Throws a ZodError for combinations
 * that are invalid only together (duplicate headers).
 */
export function mergeHeadersConfig(root: HeadersConfig, override: HeadersOverride | undefined): HeadersConfig {
  if (!override) return root;
  const merged = Object.fromEntries(Object.entries({ ...root, ...override }).filter(([, v]) => v !== undefined));
  return headersConfigSchema.parse(merged);
}

/**
 * The last headers mapped for each frozen Identity (the request core gives every request of a
 * session or token the same frozen Identity object). The answer depends on the identity, the config
 * object (a reload compiles new ones, never edits them) and the access token: together the key. An
 * Identity that is not frozen could change under the entry, so it is never remembered. One entry per
 * identity, held weakly: it goes with the identity.
 */
const mapped = new WeakMap<Identity, { cfg: HeadersConfig; accessToken: string | undefined; headers: Readonly<Record<string, string>> }>();

/**
 * Pure: the identity headers for one request. Presets first, then `claims` (an explicit mapping
 * replaces a preset header of the same name), then the access token when configured and given.
 * A claim that is absent, null or empty sends no header. Read-only: the same object may answer again.
 */
export function mapIdentityHeaders(identity: Identity, cfg: HeadersConfig, accessToken?: string): Readonly<Record<string, string>> {
  const frozen = Object.isFrozen(identity);
  if (frozen) {
    const known = mapped.get(identity);
    if (known !== undefined && known.cfg === cfg && known.accessToken === accessToken) return known.headers;
  }
  const headers = Object.freeze(computeIdentityHeaders(identity, cfg, accessToken));
  if (frozen) mapped.set(identity, { cfg, accessToken, headers });
  return headers;
}

function computeIdentityHeaders(identity: Identity, cfg: HeadersConfig, accessToken?: string): Record<string, string> {
  const out: Record<string, string> = {};
  // Canonical name -> the spelling in `out`: a later mapping of the same header replaces an earlier one.
  const present = new Map<string, string>();
  const put = (header: string, raw: unknown) => {
    const names = canonicalPair(header);
    for (const c of names) {
      const existing = present.get(c);
      if (existing !== undefined) {
        delete out[existing];
        present.delete(c);
      }
    }
    const bounded = headerValueFor(raw, cfg.maxValueBytes);
    if (!bounded) return;
    if (bounded.value !== '') {
      out[header] = bounded.value;
      present.set(names[0], header);
    }
    if (bounded.truncated) {
      out[header + TRUNCATED_SUFFIX] = 'true';
      present.set(names[1], header + TRUNCATED_SUFFIX);
    }
  };
  for (const preset of cfg.presets) for (const [header, source] of PRESET_HEADERS[preset]) put(header, source(identity));
  for (const [header, claim] of Object.entries(cfg.claims)) put(header, identity.claims[claim]);

  // Tokens are sent whole or not at all: a cut token is useless, an encoded one invalid.
  if (accessToken && cfg.accessToken !== 'none' && /^[\x21-\x7e]+$/.test(accessToken)) {
    if (cfg.accessToken === 'authorization') out.Authorization = `Bearer ${accessToken}`;
    else out[cfg.accessToken] = accessToken;
  }
  return out;
}

/** Canonical names of a configured header and of its -Truncated companion (remembered: config names are few). */
const canonicalPair = rememberFirst(1000, (header): [string, string] => [canonicalHeaderName(header), canonicalHeaderName(header + TRUNCATED_SUFFIX)]);

/** A claim value as a header value: arrays become lists; objects become JSON; absent gives nothing. */
function headerValueFor(raw: unknown, maxBytes: number) {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (Array.isArray(raw)) {
    const items = raw.filter((v) => v !== null && v !== undefined).map(scalarText);
    const bounded = boundedListValue(items, maxBytes);
    return bounded.value === '' && !bounded.truncated ? undefined : bounded;
  }
  return boundedScalarValue(scalarText(raw), maxBytes);
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

/** Every header name this config can send (without the companions). */
export function mappedHeaderNames(cfg: HeadersConfig): string[] {
  const names = [...cfg.presets.flatMap((p) => PRESET_HEADERS[p].map(([h]) => h)), ...Object.keys(cfg.claims)];
  if (cfg.accessToken !== 'none' && cfg.accessToken !== 'authorization') names.push(cfg.accessToken);
  return names;
}

/**
 * The strip rules for a config: the base rules (well-known identity headers of other proxies), every
 * header this config sends and its `-Truncated` companion, `stripPrefixes`, and the caller's extra
 * names (the assertion header).
 */
export function stripRulesFor(cfg: HeadersConfig, extraHeaderNames: string[]): HeaderStripRules {
  const mapped = mappedHeaderNames(cfg);
  return mergeStripRules(BASE_IDENTITY_STRIP_RULES, {
    names: [...mapped, ...mapped.map((h) => h + TRUNCATED_SUFFIX), ...extraHeaderNames],
    prefixes: cfg.stripPrefixes,
  });
}
