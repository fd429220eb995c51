/**
 * `cognito-gateway doctor --config FILE`: a "test connection" that checks the identity provider and the
 * Cognito app client against the gateway config and prints a table (check | result | fix).
 * Exit code 0 when nothing failed, 1 when a check failed, 2 when the config cannot be read.
 */
import type { Env, ResolvedConfig } from '../config/load';
import { checkClient, clientRequirements } from '../cognito/app-client';
import { createCognitoAdmin, type CognitoAdmin, type CognitoAdminOptions } from '../cognito/client';
import { adminOptionsFromSettings, cognitoAdminSettings, type CognitoAdminSettings } from '../cognito/config';
import { type CognitoAdminError, toCognitoAdminError } from '../cognito/errors';
import { computeSecretHash } from '../cognito/password-auth';
import { readConfigFile } from './config-file';

export type CheckResult = 'ok' | 'FAIL' | 'warn' | 'skip';

export interface DoctorRow {
  check: string;
  result: CheckResult;
  detail: string;
  fix?: string;
}

export interface DoctorOptions {
  env: Env;
  out: (line: string) => void;
  /** Builds the admin client (tests wrap the real one). Default createCognitoAdmin. */
  adminFactory?: (opts: CognitoAdminOptions) => CognitoAdmin;
  /** For discovery and JWKS. Default globalThis.fetch. */
  fetch?: typeof fetch;
}

async function getJson(
  fetchImpl: typeof fetch,
  url: string,
  timeoutMs: number,
): Promise<{ ok: true; json: Record<string, unknown> } | { ok: false; error: string }> {
  try {
    const res = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { ok: false, error: `HTTP ${res.status}` };
    const json = (await res.json()) as unknown;
    if (!json || typeof json !== 'object' || Array.isArray(json)) return { ok: false, error: 'not a JSON object' };
    return { ok: true, json: json as Record<string, unknown> };
  } catch (e) {
    const err = e as Error;
    return {
      ok: false,
      error:
        err.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : `${err.message}${(err.cause as { code?: string } | undefined)?.code ? ` (${(err.cause as { code: string }).code})` : ''}`,
    };
  }
}

const iamRow = (check: string, err: CognitoAdminError, required: boolean): DoctorRow => ({
  check,
  result: required ? 'FAIL' : 'warn',
  detail: `missing IAM permission ${err.iamAction}${required ? '' : ' (only needed if you enable the feature)'}`,
  fix: `allow ${err.iamAction} on the user pool for the gateway's role (see docs/iam-policy.json)`,
});

const failRow = (check: string, err: CognitoAdminError): DoctorRow =>
  err.accessDenied
    ? iamRow(check, err, true)
    : {
        check,
        result: 'FAIL',
        detail: err.message,
        fix: err.unreachable ? 'check cognitoAdmin.endpoint / COGNITO_ENDPOINT, the region and network egress' : 'see the error above',
      };

async function idpChecks(config: ResolvedConfig, fetchImpl: typeof fetch): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  const issuer = config.issuers[0]!;
  const timeoutMs = config.idp.timeout * 1000;
  const discoveryUrl = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const disco = await getJson(fetchImpl, discoveryUrl, timeoutMs);
  if (!disco.ok) {
    rows.push({
      check: 'discovery',
      result: 'FAIL',
      detail: `${discoveryUrl}: ${disco.error}`,
      fix: 'check idp.issuer / idp.userPoolId and the region, and that the gateway can reach it',
    });
    rows.push({ check: 'issuer', result: 'skip', detail: 'no discovery document' });
  } else {
    rows.push({ check: 'discovery', result: 'ok', detail: discoveryUrl });
    const reported = disco.json.issuer;
    rows.push(
      reported === issuer
        ? { check: 'issuer', result: 'ok', detail: `discovery reports ${issuer}` }
        : {
            check: 'issuer',
            result: 'FAIL',
            detail: `discovery reports issuer ${JSON.stringify(reported)}, config expects ${issuer}`,
            fix: `set idp.issuer to ${String(reported)} (or add it to idp.extraIssuers)`,
          },
    );
  }
  const jwksUrl = disco.ok && typeof disco.json.jwks_uri === 'string' ? disco.json.jwks_uri : `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
  const jwks = await getJson(fetchImpl, jwksUrl, timeoutMs);
  if (!jwks.ok) {
    rows.push({ check: 'JWKS', result: 'FAIL', detail: `${jwksUrl}: ${jwks.error}`, fix: 'check that the gateway can reach the JWKS URL' });
  } else {
    const keys = Array.isArray(jwks.json.keys) ? (jwks.json.keys as Array<Record<string, unknown>>) : [];
    const rsa = keys.filter((k) => k && k.kty === 'RSA' && (k.alg === undefined || k.alg === 'RS256'));
    rows.push(
      rsa.length > 0
        ? { check: 'JWKS', result: 'ok', detail: `${rsa.length} RS256 key(s) at ${jwksUrl}` }
        : { check: 'JWKS', result: 'FAIL', detail: `no RS256 keys at ${jwksUrl}`, fix: 'the issuer must publish RSA signing keys' },
    );
  }
  return rows;
}

async function clientChecks(config: ResolvedConfig, admin: CognitoAdmin, settings: CognitoAdminSettings): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  const clientId = config.idp.clientId;
  const req = clientRequirements(config, { passwordAuth: settings.passwordAuthApps.length > 0 });
  try {
    const client = await admin.describeUserPoolClient(clientId);
    rows.push({ check: 'app client', result: 'ok', detail: `${clientId} (${client.ClientName ?? 'unnamed'}) in ${admin.userPoolId}` });
    for (const f of checkClient(client, req)) rows.push({ check: f.check, result: f.ok ? 'ok' : 'FAIL', detail: f.detail, ...(f.fix ? { fix: f.fix } : {}) });
  } catch (e) {
    const err = toCognitoAdminError('DescribeUserPoolClient', e);
    if (err.name === 'ResourceNotFoundException') {
      rows.push({
        check: 'app client',
        result: 'FAIL',
        detail: `app client ${clientId} or pool ${admin.userPoolId} does not exist (${err.detail})`,
        fix: 'check idp.clientId and idp.userPoolId, or create the client with `cognito-gateway provision`',
      });
    } else rows.push(failRow('app client', err));
  }
  for (const note of req.notes) rows.push({ check: 'callback URLs', result: 'warn', detail: note, fix: 'set publicUrl, or list exact hosts per app' });
  return rows;
}

/** Probes the runtime permissions with calls that change nothing (a user that does not exist). */
async function iamChecks(config: ResolvedConfig, admin: CognitoAdmin, settings: CognitoAdminSettings): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  const probeUser = `cognito-gateway-doctor-probe-${crypto.randomUUID()}`;
  const probe = async (check: string, operation: string, required: boolean, run: () => Promise<unknown>, granted: (e: CognitoAdminError) => boolean) => {
    try {
      await run();
      rows.push({ check, result: 'ok', detail: `cognito-idp:${operation} granted` });
    } catch (e) {
      const err = toCognitoAdminError(operation, e);
      if (err.accessDenied) rows.push(iamRow(check, err, required));
      else if (granted(err)) rows.push({ check, result: 'ok', detail: `cognito-idp:${operation} granted` });
      else rows.push(required ? failRow(check, err) : { check, result: 'warn', detail: err.message });
    }
  };
  const notFound = (e: CognitoAdminError) => e.name === 'UserNotFoundException';
  await probe('IAM: user look-ups', 'AdminGetUser', settings.userLookupApps.length > 0, () => admin.getUser(probeUser), notFound);
  await probe('IAM: sign-out everywhere', 'AdminUserGlobalSignOut', settings.signOutEverywhere, () => admin.globalSignOut(probeUser), notFound);
  if (settings.passwordAuthApps.length > 0 && config.idp.passwordAuthFlow === 'user') {
    rows.push({ check: 'IAM: password sign-in', result: 'ok', detail: 'idp.passwordAuthFlow user: InitiateAuth is unsigned and needs no IAM permission' });
  } else if (settings.passwordAuthApps.length > 0) {
    const clientId = config.idp.clientId;
    const authParameters: Record<string, string> = { USERNAME: probeUser, PASSWORD: `probe-${crypto.randomUUID()}` };
    if (config.idp.clientSecret) authParameters.SECRET_HASH = await computeSecretHash(config.idp.clientSecret, probeUser, clientId);
    await probe(
      'IAM: password sign-in',
      'AdminInitiateAuth',
      true,
      () => admin.adminInitiateAuth({ clientId, authParameters }),
      (e) => e.name === 'NotAuthorizedException' || e.name === 'UserNotFoundException',
    );
  }
  return rows;
}

export function formatTable(rows: DoctorRow[]): string[] {
  const head = { check: 'CHECK', result: 'RESULT', fix: 'FIX' };
  const resultText = (r: DoctorRow) => `${r.result.toUpperCase().padEnd(4)} ${r.detail}`;
  const w1 = Math.max(head.check.length, ...rows.map((r) => r.check.length));
  const w2 = Math.min(100, Math.max(head.result.length, ...rows.map((r) => resultText(r).length)));
  const line = (a: string, b: string, c: string) => `${a.padEnd(w1)} | ${b.padEnd(w2)} | ${c}`.trimEnd();
  return [
    line(head.check, head.result, head.fix),
    `${'-'.repeat(w1)}-+-${'-'.repeat(w2)}-+-${'-'.repeat(3)}`,
    ...rows.map((r) => line(r.check, resultText(r), r.fix ?? '')),
  ];
}

export async function runDoctor(configPath: string, opts: DoctorOptions): Promise<number> {
  const { env, out } = opts;
  let config: ResolvedConfig;
  try {
    config = await readConfigFile(configPath, env);
  } catch (e) {
    out(`doctor: cannot load ${configPath}: ${(e as Error).message}`);
    return 2;
  }
  const fetchImpl = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const rows: DoctorRow[] = [{ check: 'config', result: 'ok', detail: `${configPath} is valid` }];
  rows.push(...(await idpChecks(config, fetchImpl)));

  if (config.idp.type !== 'cognito') {
    rows.push({ check: 'app client', result: 'skip', detail: 'idp.type is oidc: no Cognito admin checks' });
  } else {
    let settings: CognitoAdminSettings | undefined;
    try {
      settings = cognitoAdminSettings(config, env);
    } catch (e) {
      rows.push({ check: 'app client', result: 'FAIL', detail: (e as Error).message, fix: 'set idp.userPoolId' });
    }
    if (settings) {
      const admin = (opts.adminFactory ?? createCognitoAdmin)(adminOptionsFromSettings(settings, env));
      rows.push(...(await clientChecks(config, admin, settings)));
      rows.push(...(await iamChecks(config, admin, settings)));
    }
  }

  for (const line of formatTable(rows)) out(line);
  const failures = rows.filter((r) => r.result === 'FAIL');
  const warnings = rows.filter((r) => r.result === 'warn');
  out('');
  out(
    failures.length === 0
      ? `doctor: all checks passed${warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}`
      : `doctor: ${failures.length} check${failures.length === 1 ? '' : 's'} failed: ${failures.map((f) => f.check).join(', ')}`,
  );
  return failures.length === 0 ? 0 : 1;
}
