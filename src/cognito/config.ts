/**
 * Admin-API settings of a running gateway, derived from the validated config (`cognitoAdmin` at the
 * root and `apps[].cognito`, both in the schema: src/config/schema.ts and src/policy/schema.ts) plus
 * the environment (COGNITO_ENDPOINT, AWS credentials). No parsing here: bad values never get this far
 * (`loadConfig` and `checkConfig` refuse them with their key path).
 */
import { type Env, type ResolvedConfig, userPoolIdOf } from '../config/load';
import type { AwsCredentials, CognitoAdminOptions } from './client';
import { regionOfPool } from './client';

export { userPoolIdOf };

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

/** The settings; throws when there is no Cognito pool to call (checkConfig refuses features that need one). */
export function cognitoAdminSettings(config: ResolvedConfig, env: Env = {}): CognitoAdminSettings {
  const admin = config.cognitoAdmin;
  const userPoolId = userPoolIdOf(config);
  if (!userPoolId) throw new Error('the admin API needs idp.userPoolId (e.g. us-east-1_AbC123xyz)');
  const endpoint = env.COGNITO_ENDPOINT || admin.endpoint;
  const limit = (l: { max: number; window: number }) => ({ max: l.max, windowSeconds: l.window });
  return {
    region: admin.region ?? config.idp.region ?? regionOfPool(userPoolId) ?? 'us-east-1',
    userPoolId,
    ...(endpoint ? { endpoint } : {}),
    timeoutMs: admin.timeout * 1000,
    maxAttempts: admin.maxAttempts,
    userCacheRetentionSeconds: admin.userCacheRetention,
    userCacheMaxEntries: admin.userCacheMaxEntries,
    signOutEverywhere: admin.signOutEverywhere,
    passwordAuth: { perUser: limit(admin.passwordAuth.perUser), perAddress: limit(admin.passwordAuth.perAddress) },
    userLookupApps: config.apps.filter((a) => a.cognito?.userLookup).map((a) => a.id),
    passwordAuthApps: config.apps.filter((a) => a.cognito?.passwordAuth).map((a) => a.id),
  };
}

/** Credentials from the given environment when it has them; otherwise undefined (the SDK's chain). */
export function credentialsFromEnv(env: Env): AwsCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/** Options for createCognitoAdmin from the settings and the environment's credentials. */
export function adminOptionsFromSettings(settings: CognitoAdminSettings, env: Env = {}): CognitoAdminOptions {
  const credentials = credentialsFromEnv(env);
  return {
    region: settings.region,
    userPoolId: settings.userPoolId,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    timeoutMs: settings.timeoutMs,
    maxAttempts: settings.maxAttempts,
  };
}
