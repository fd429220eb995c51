import { parse as parseYaml } from 'yaml';
import { ZodError } from 'zod';
import { COGNITO_POOL_ID, configSchema, type GatewayConfig } from './schema';
import { parseCidr, validateApps, compileApps, describeMethodGap, methodGaps } from '../policy';
import { headersOverrideSchema, mergeHeadersConfig, type HeadersConfig } from '../proxy';
import { closestWord } from '../spelling';
import { resolveRealms, type AppSignIn, type RealmConfig } from './realms';

/**
 * Turns config text plus environment into a validated, resolved config. Pure and synchronous (no file
 * system): the Node CLI reads the file, the Worker gets the text from a bundled file or a var. The
 * checks that need async work or the runtime's environment (assertion keys, COGNITO_ENDPOINT) are
 * `checkConfig` in ./check.ts, which every entry runs after this.
 */

/** Environment variables that carry secrets; they override the file. */
export const SECRET_ENV = {
  clientSecret: 'GATEWAY_CLIENT_SECRET',
  cookieSecrets: 'GATEWAY_COOKIE_SECRETS',
  assertionKeys: 'GATEWAY_ASSERTION_KEYS',
} as const;

export interface ConfigIssue {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly source = 'config',
  ) {
    super(`${source} is invalid:\n${issues.map((i) => `  - ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ResolvedConfig extends GatewayConfig {
  /** Accepted `iss` values, primary first. */
  issuers: string[];
  /** Identity-header config per app id, for apps that override the global `headers`. */
  appHeaders: Record<string, HeadersConfig>;
  /** Set when the file itself carried a secret: the loader warns so operators move it to the environment. */
  warnings: string[];
  /** The identity setups (app clients), default first (src/config/realms.ts). */
  realms: RealmConfig[];
  /** Realm name per app id. */
  appRealms: Record<string, string>;
  /** Per-app sign-in settings from `apps[].idp` (scopes, identityProvider). */
  appSignIn: Record<string, AppSignIn>;
}

export type Env = Record<string, string | undefined>;

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Zod's own wrappers (default, prefault, pipe, optional) around an object or array schema. */
interface SchemaNode {
  shape?: Record<string, unknown>;
  _zod?: { def?: { innerType?: unknown; in?: unknown; schema?: unknown; element?: unknown } };
}

function unwrapSchema(node: unknown): SchemaNode | undefined {
  let t = node as SchemaNode | undefined;
  for (let i = 0; i < 10 && t; i++) {
    if (t.shape || t._zod?.def?.element) return t;
    const def = t._zod?.def;
    t = (def?.innerType ?? def?.in ?? def?.schema) as SchemaNode | undefined;
  }
  return undefined;
}

/** The keys the schema allows at `path` (for "did you mean"), when it is an object there. */
function allowedKeysAt(path: ReadonlyArray<PropertyKey>): string[] | undefined {
  let node = unwrapSchema(configSchema);
  for (const seg of path) {
    const next: unknown = typeof seg === 'number' ? node?._zod?.def?.element : node?.shape?.[String(seg)];
    node = unwrapSchema(next);
  }
  return node?.shape ? Object.keys(node.shape) : undefined;
}

function unknownKeyMessage(keys: readonly string[], path: ReadonlyArray<PropertyKey>): string {
  const allowed = allowedKeysAt(path) ?? [];
  return keys
    .map((k) => {
      const near = closestWord(k, allowed);
      return `unknown key "${k}"${near ? ` (did you mean "${near}"?)` : ''}${allowed.length ? `; allowed keys: ${allowed.join(', ')}` : ''}`;
    })
    .join('; ');
}

/** `schemaAt`: where the validated value sits in the root schema (an app's `headers` override is checked like the root `headers`). */
function zodIssues(error: ZodError, schemaAt: ReadonlyArray<PropertyKey> = []): ConfigIssue[] {
  return error.issues.map((i) => {
    let message = i.message;
    // Zod's default wording only; the apps schema writes its own (with the same suggestion).
    if (i.code === 'unrecognized_keys' && /^Unrecognized key/.test(i.message)) message = unknownKeyMessage(i.keys, [...schemaAt, ...i.path]);
    if (i.code === 'invalid_type' && /received undefined/.test(i.message)) message = 'is required';
    return { path: formatPath(i.path), message };
  });
}

/** Parses YAML (a superset of JSON) config text. */
export function parseConfigText(text: string, source = 'config'): unknown {
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new ConfigError([{ path: '', message: `not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}` }], source);
  }
}

function splitList(v: string): string[] {
  return v
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseAssertionKeys(v: string): string[] {
  const t = v.trim();
  if (t.startsWith('[')) {
    const list: unknown = JSON.parse(t);
    if (!Array.isArray(list)) throw new TypeError('not a list');
    // A list of JWK objects or of strings (JWK JSON or PEM): each key ends up as one string.
    return list.map((k) => (typeof k === 'string' ? k : JSON.stringify(k)));
  }
  if (t.startsWith('{')) return [t];
  // PEM blocks, possibly several, newest first.
  return t.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [t];
}

/** Cognito's global issuer form for a pool (`issuer-cognito-idp.{region}.amazonaws.com`). */
export function cognitoGlobalIssuer(region: string, userPoolId: string): string {
  return `https://issuer-cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

export function cognitoIssuer(region: string, userPoolId: string): string {
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** The Cognito pool id: `idp.userPoolId`, else the issuer's last path segment when it is one (`.../us-east-1_Abc`). */
export function userPoolIdOf(config: Pick<ResolvedConfig, 'idp' | 'issuers'>): string | undefined {
  if (config.idp.userPoolId) return config.idp.userPoolId;
  const last = (config.issuers[0] ?? '').replace(/\/+$/, '').split('/').pop() ?? '';
  return COGNITO_POOL_ID.test(last) ? last : undefined;
}

type Mapping = Record<string, unknown>;
const isMapping = (v: unknown): v is Mapping => !!v && typeof v === 'object' && !Array.isArray(v);
/** The mapping at `input[key]`, created when absent (env overrides write into it). */
function section(input: Mapping, key: string): Mapping {
  const v = input[key];
  if (isMapping(v)) return v;
  const created: Mapping = {};
  input[key] = created;
  return created;
}
const hasEntries = (v: unknown) => Array.isArray(v) && v.length > 0;

/** Validates raw config (already parsed from YAML/JSON) and applies environment overrides. */
export function resolveConfig(raw: unknown, env: Env = {}, source = 'config'): ResolvedConfig {
  const warnings: string[] = [];
  if (!isMapping(raw)) {
    throw new ConfigError([{ path: '', message: 'the config must be a mapping with at least idp, session and apps' }], source);
  }
  const input = structuredClone(raw);
  // Read before the overrides: only what the file itself carries earns a warning.
  const inFile = (key: string) => (isMapping(input[key]) ? input[key] : {});
  if (inFile('idp').clientSecret) warnings.push(`idp.clientSecret is in the config file; prefer the ${SECRET_ENV.clientSecret} environment variable`);
  if (hasEntries(inFile('session').secrets))
    warnings.push(`session.secrets is in the config file; prefer the ${SECRET_ENV.cookieSecrets} environment variable`);
  if (hasEntries(inFile('assertion').keys)) warnings.push(`assertion.keys is in the config file; prefer the ${SECRET_ENV.assertionKeys} environment variable`);

  const clientSecret = env[SECRET_ENV.clientSecret];
  const cookieSecrets = env[SECRET_ENV.cookieSecrets];
  const assertionKeys = env[SECRET_ENV.assertionKeys];
  if (clientSecret) section(input, 'idp').clientSecret = clientSecret;
  if (cookieSecrets) section(input, 'session').secrets = splitList(cookieSecrets);
  if (assertionKeys) {
    try {
      section(input, 'assertion').keys = parseAssertionKeys(assertionKeys);
    } catch {
      throw new ConfigError([{ path: SECRET_ENV.assertionKeys, message: 'must be a JWK JSON object, a JSON array of keys, or PEM text' }], source);
    }
  }
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port)) throw new ConfigError([{ path: 'PORT', message: `"${env.PORT}" is not a port number` }], source);
    section(input, 'listen').port = port;
  }

  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(zodIssues(parsed.error), source);
  const config = parsed.data;

  const issues: ConfigIssue[] = validateApps(config.apps).map((i) => ({ path: i.path, message: i.message }));
  if (config.session.secrets.length === 0) {
    issues.push({
      path: 'session.secrets',
      message: `no cookie secret: set ${SECRET_ENV.cookieSecrets} (comma-separated, newest first, each >= 32 characters; e.g. \`openssl rand -base64 32\`)`,
    });
  }
  config.trustedProxies.forEach((cidr, i) => {
    const r = parseCidr(cidr);
    if (!r.ok) issues.push({ path: `trustedProxies[${i}]`, message: `${r.message}; write e.g. 10.0.0.0/8 or 2001:db8::/32` });
  });
  config.forwardAuth.proxies.forEach((entry, i) => {
    entry.cidrs.forEach((cidr, j) => {
      const r = parseCidr(cidr);
      if (!r.ok) issues.push({ path: `forwardAuth.proxies[${i}].cidrs[${j}]`, message: `${r.message}; write e.g. 10.0.0.0/8` });
    });
  });
  // An app's `headers` overrides the global block field by field, then is validated as a whole.
  const appHeaders: Record<string, HeadersConfig> = {};
  config.apps.forEach((app, i) => {
    if (!app.headers || Object.keys(app.headers).length === 0) return;
    const override = headersOverrideSchema.safeParse(app.headers);
    let error: ZodError | undefined = override.success ? undefined : override.error;
    if (override.success) {
      try {
        appHeaders[app.id] = mergeHeadersConfig(config.headers, override.data);
      } catch (e) {
        if (!(e instanceof ZodError)) throw e;
        error = e;
      }
    }
    if (error) issues.push(...zodIssues(error, ['headers']).map((x) => ({ path: `apps[${i}].headers${x.path ? `.${x.path}` : ''}`, message: x.message })));
  });

  let issuer = config.idp.issuer;
  // Pools may also issue Cognito's global form; aws-jwt-verify accepts both for a pool id, so do we.
  const alsoIssuers: string[] = [];
  if (config.idp.type === 'cognito' && !issuer && config.idp.userPoolId) {
    const region = config.idp.region ?? config.idp.userPoolId.split('_')[0]!;
    if (config.idp.region && !config.idp.userPoolId.startsWith(`${config.idp.region}_`)) {
      issues.push({
        path: 'idp.region',
        message: `"${config.idp.region}" does not match the pool id's region prefix "${config.idp.userPoolId.split('_')[0]}"`,
      });
    }
    issuer = cognitoIssuer(region, config.idp.userPoolId);
    alsoIssuers.push(cognitoGlobalIssuer(region, config.idp.userPoolId));
  }
  const issuers = [...new Set([issuer!, ...alsoIssuers, ...config.idp.extraIssuers])];
  const realms = resolveRealms(config, issuers);
  issues.push(...realms.issues);
  if (issues.length) throw new ConfigError(issues, source);
  for (const app of compileApps(config.apps)) for (const gap of methodGaps(app)) warnings.push(describeMethodGap(gap));

  return { ...config, issuers, appHeaders, warnings, realms: realms.realms, appRealms: realms.appRealms, appSignIn: realms.appSignIn };
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` inside string values (not keys) with environment values,
 * so one file serves several environments. Interpolating parsed values, not raw text, means a value
 * can never change the YAML structure. A missing variable without a default is a config error.
 */
export function interpolateEnv(value: unknown, env: Env, path: (string | number)[] = [], issues: ConfigIssue[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      issues.push({ path: formatPath(path), message: `environment variable ${name} is not set; set it or write \${${name}:-default}` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, i], issues));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, [...path, k], issues);
    return out;
  }
  return value;
}

/** Text in, resolved config out. */
export function loadConfig(text: string, env: Env = {}, source = 'config'): ResolvedConfig {
  const issues: ConfigIssue[] = [];
  const raw = interpolateEnv(parseConfigText(text, source), env, [], issues);
  if (issues.length) throw new ConfigError(issues, source);
  return resolveConfig(raw, env, source);
}
