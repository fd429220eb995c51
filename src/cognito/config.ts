/**
 * Admin-API settings from the gateway config. The `cognitoAdmin` root key and the per-app `cognito`
 * key are PROPOSED (not yet in src/config/schema.ts); they are read defensively so this works before
 * and after the schema grows them. Web-API only: the environment is passed in.
 *
 *   cognitoAdmin:
 *     region: eu-west-1          # default: idp.region, else the pool id's prefix
 *     endpoint: http://...       # default: AWS; env COGNITO_ENDPOINT overrides (the emulator)
 *     timeout: 3s                # per attempt
 *     maxAttempts: 3
 *     userCacheRetention: 5m     # AdminGetUser at most once per this per user
 *     userCacheMaxEntries: 10000
 *     signOutEverywhere: false   # default of /_auth/logout?everywhere=
 *     passwordAuth:
 *       perUser: { max: 5, window: 15m }
 *       perAddress: { max: 20, window: 15m }
 *   apps[].cognito: { userLookup: true, passwordAuth: true }
 */
import type { Env, ResolvedConfig } from '../config/load';
import { parseDuration } from '../config/duration';
import type { AwsCredentials, CognitoAdminOptions } from './client';
import { regionOfPool } from './client';

export interface CognitoAdminSettings {
  region: string;
  userPoolId: string;
  endpoint?: string;
  timeoutMs: number;
  maxAttempts: number;
  userCacheRetentionSeconds: number;
  userCacheMaxEntries: number;
  signOutEverywhere: boolean;
  passwordAuth: { perUser: { max: number; windowSeconds: number }; perAddress: { max: number; windowSeconds: number } };
  /** Apps (ids) with user look-ups on. */
  userLookupApps: string[];
  /** Apps (ids) that accept `Authorization: Basic`. */
  passwordAuthApps: string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const seconds = (v: unknown, fallback: number): number => {
  if (typeof v === 'number' || typeof v === 'string') {
    try {
      return parseDuration(v);
    } catch {
      return fallback;
    }
  }
  return fallback;
};
const int = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fallback);

/** The pool id: `idp.userPoolId`, else the last path segment of the issuer (`.../us-east-1_Abc`). */
export function userPoolIdOf(config: ResolvedConfig): string | undefined {
  if (config.idp.userPoolId) return config.idp.userPoolId;
  const last = (config.issuers[0] ?? '').replace(/\/+$/, '').split('/').pop() ?? '';
  return regionOfPool(last) ? last : undefined;
}

export function cognitoAdminSettings(config: ResolvedConfig, env: Env = {}): CognitoAdminSettings {
  const raw = obj((config as unknown as Obj).cognitoAdmin);
  const userPoolId = userPoolIdOf(config);
  if (!userPoolId) throw new Error('the admin API needs idp.userPoolId (e.g. us-east-1_AbC123xyz)');
  const region = (typeof raw.region === 'string' && raw.region) || config.idp.region || regionOfPool(userPoolId) || 'us-east-1';
  const endpoint = env.COGNITO_ENDPOINT || (typeof raw.endpoint === 'string' && raw.endpoint ? raw.endpoint : undefined);
  const pw = obj(raw.passwordAuth);
  const limit = (v: unknown, max: number, window: number) => ({ max: int(obj(v).max, max), windowSeconds: seconds(obj(v).window, window) });
  const apps = config.apps.map((a) => ({ id: a.id, cognito: obj((a as unknown as Obj).cognito) }));
  return {
    region,
    userPoolId,
    ...(endpoint ? { endpoint } : {}),
    timeoutMs: seconds(raw.timeout, 3) * 1000,
    maxAttempts: int(raw.maxAttempts, 3),
    userCacheRetentionSeconds: seconds(raw.userCacheRetention, 300),
    userCacheMaxEntries: int(raw.userCacheMaxEntries, 10_000),
    signOutEverywhere: raw.signOutEverywhere === true,
    passwordAuth: { perUser: limit(pw.perUser, 5, 900), perAddress: limit(pw.perAddress, 20, 900) },
    userLookupApps: apps.filter((a) => a.cognito.userLookup === true).map((a) => a.id),
    passwordAuthApps: apps.filter((a) => a.cognito.passwordAuth === true).map((a) => a.id),
  };
}

/** Credentials from the given environment when it has them; otherwise undefined (the SDK's chain). */
export function credentialsFromEnv(env: Env): AwsCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/** Options for createCognitoAdmin from the config and environment. */
export function adminOptionsFromConfig(config: ResolvedConfig, env: Env = {}): CognitoAdminOptions {
  const s = cognitoAdminSettings(config, env);
  const credentials = credentialsFromEnv(env);
  return {
    region: s.region,
    userPoolId: s.userPoolId,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    timeoutMs: s.timeoutMs,
    maxAttempts: s.maxAttempts,
  };
}
