/**
 * The checks that need more than the schema: the environment the gateway will run with, and async
 * work (importing the assertion keys with WebCrypto). One function so that `check`, `serve`, `doctor`,
 * the Worker and `createGateway` refuse exactly the same configs with the same words: `check` exit 0
 * means `serve` starts.
 *
 * `loadConfig` (shape, key paths, defaults) runs first; `readConfigFile` (src/cli) runs both, and
 * `createGateway` runs this again for callers that built the config themselves (the Worker, tests).
 */
import { AssertionKeyError, loadAssertionKeys, parseAssertionKey } from '../tokens';
import { ConfigError, type ConfigIssue, type Env, type ResolvedConfig, SECRET_ENV, userPoolIdOf } from './load';

/** Environment variables the admin API reads besides AWS's own credential variables. */
export const COGNITO_ENDPOINT_ENV = 'COGNITO_ENDPOINT';

const GEN_KEY = 'make one with `npx cognito-gateway gen-key`';

async function assertionKeyIssues(keys: readonly string[]): Promise<ConfigIssue[]> {
  const where = `assertion.keys (or ${SECRET_ENV.assertionKeys})`;
  const issue = (e: AssertionKeyError): ConfigIssue => ({
    path: `assertion.keys[${e.index}]`,
    message: `${e.message.slice(e.key.length + 2).replace(/\.? ?Generate one with generateAssertionKey\(\)$/, '')}; ${GEN_KEY} and put it in ${where}`,
  });
  // Every key on its own first, so one run names every bad key; then the list as a whole (duplicate kids).
  const results = await Promise.allSettled(keys.map((text, i) => parseAssertionKey(i, text)));
  const issues: ConfigIssue[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') continue;
    if (!(r.reason instanceof AssertionKeyError)) throw r.reason;
    issues.push(issue(r.reason));
  }
  if (issues.length === 0 && keys.length > 0) {
    try {
      await loadAssertionKeys(keys);
    } catch (e) {
      if (!(e instanceof AssertionKeyError)) throw e;
      issues.push(issue(e));
    }
  }
  return issues;
}

function cognitoEndpointIssues(env: Env): ConfigIssue[] {
  const value = env[COGNITO_ENDPOINT_ENV];
  if (value === undefined || value === '') return [];
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash) return [];
  return [
    {
      path: COGNITO_ENDPOINT_ENV,
      message: `${JSON.stringify(value)} is not an http(s) URL; write e.g. http://127.0.0.1:9229 (the emulator), or unset it to use AWS`,
    },
  ];
}

/** Admin-API features switched on where there is no Cognito pool to call would silently do nothing. */
function adminFeatureIssues(config: ResolvedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const pool = config.idp.type === 'cognito' ? userPoolIdOf(config) : undefined;
  if (pool) return issues;
  const why = config.idp.type === 'cognito' ? 'needs idp.userPoolId (e.g. us-east-1_AbC123xyz)' : 'needs idp.type cognito (the Cognito admin API)';
  config.apps.forEach((app, i) => {
    if (app.cognito?.userLookup) issues.push({ path: `apps[${i}].cognito.userLookup`, message: `${why}; or set it to false` });
    if (app.cognito?.passwordAuth) issues.push({ path: `apps[${i}].cognito.passwordAuth`, message: `${why}; or set it to false` });
  });
  if (config.cognitoAdmin.signOutEverywhere) issues.push({ path: 'cognitoAdmin.signOutEverywhere', message: `${why}; or set it to false` });
  return issues;
}

/** The admin API is bound to the default realm's pool: an app whose realm is another pool cannot use it. */
function realmAdminIssues(config: ResolvedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const pool = config.idp.type === 'cognito' ? userPoolIdOf(config) : undefined;
  if (!pool) return issues;
  const realms = new Map((config.realms ?? []).map((r) => [r.name, r]));
  config.apps.forEach((app, i) => {
    const realm = realms.get(config.appRealms?.[app.id] ?? '');
    if (!realm || realm.samePool) return;
    const where = `the admin API serves idp.userPoolId (${pool}); realm "${realm.name}" is another pool`;
    if (app.cognito?.userLookup) issues.push({ path: `apps[${i}].cognito.userLookup`, message: `${where}; set it to false` });
    if (app.cognito?.passwordAuth) issues.push({ path: `apps[${i}].cognito.passwordAuth`, message: `${where}; set it to false` });
  });
  return issues;
}

/**
 * Every check that building the gateway does, beyond the schema. Throws a ConfigError listing every
 * issue with its key path and fix. `env` is the environment the gateway will run with (the admin API
 * reads COGNITO_ENDPOINT from it).
 */
export async function checkConfig(config: ResolvedConfig, env: Env = {}, source = 'config'): Promise<void> {
  const issues = [
    ...(await assertionKeyIssues(config.assertion.keys)),
    ...cognitoEndpointIssues(env),
    ...adminFeatureIssues(config),
    ...realmAdminIssues(config),
  ];
  if (issues.length) throw new ConfigError(issues, source);
}
