/**
 * `cognito-gateway provision --config FILE [--dry-run] [--template FILE] [--create-pool]`: creates or
 * updates the Cognito app client so it has everything the gateway config needs, showing a diff first.
 * Idempotent: a second run reports "no change" and writes nothing. UpdateUserPoolClient replaces the
 * whole configuration, so every field is sent, merged with the current values.
 *
 * Exit codes: 0 done (or nothing to do), 1 a Cognito call failed, 2 bad config or template.
 */
import { readFile } from 'node:fs/promises';
import type { UserPoolClientType } from '@aws-sdk/client-cognito-identity-provider';
import type { Env, ResolvedConfig } from '../config/load';
import {
  canonicalOf,
  clientRequirements,
  desiredClient,
  diffClients,
  formatChanges,
  TemplateRefused,
  toClientInput,
  type ClientTemplate,
} from '../cognito/app-client';
import { createCognitoAdmin, type CognitoAdmin, type CognitoAdminOptions } from '../cognito/client';
import { adminOptionsFromSettings, cognitoAdminSettings, type CognitoAdminSettings } from '../cognito/config';
import { toCognitoAdminError } from '../cognito/errors';
import { readConfigFile } from './config-file';

export interface ProvisionOptions {
  dryRun: boolean;
  /** JSON file of Create/UpdateUserPoolClient fields that override the defaults. */
  template?: string;
  /** Create a user pool and a domain first (reused when the domain already exists). */
  createPool?: boolean;
  /** With createPool: pool name (default "cognito-gateway") and domain prefix (default derived from it). */
  poolName?: string;
  domain?: string;
  env: Env;
  out: (line: string) => void;
  adminFactory?: (opts: CognitoAdminOptions) => CognitoAdmin;
}

async function readTemplate(path: string): Promise<ClientTemplate> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new TemplateRefused('(file)', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TemplateRefused('(file)', `${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new TemplateRefused('(file)', `${path} must hold a JSON object of app-client fields`);
  return json as ClientTemplate;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/(aws|amazon|cognito)/g, 'x')
    .slice(0, 50) || 'gateway';

export async function runProvision(configPath: string, opts: ProvisionOptions): Promise<number> {
  const { out, env } = opts;
  let config: ResolvedConfig;
  let template: ClientTemplate = {};
  try {
    config = await readConfigFile(configPath, env);
    if (opts.template) template = await readTemplate(opts.template);
  } catch (e) {
    out(`provision: ${e instanceof TemplateRefused ? 'refused ' : ''}${(e as Error).message}`);
    return 2;
  }
  if (config.idp.type !== 'cognito') {
    out('provision: idp.type is oidc; provision only manages Cognito app clients');
    return 2;
  }
  let settings: CognitoAdminSettings;
  try {
    settings = cognitoAdminSettings(config, env);
  } catch (e) {
    out(`provision: ${(e as Error).message}`);
    return 2;
  }
  const req = clientRequirements(config, { passwordAuth: settings.passwordAuthApps.length > 0 });
  for (const note of req.notes) out(`note: ${note}`);
  let admin = (opts.adminFactory ?? createCognitoAdmin)(adminOptionsFromSettings(settings, env));
  const prefix = opts.dryRun ? 'would ' : '';

  try {
    // 1. The pool (and its domain) with --create-pool.
    let current: UserPoolClientType | undefined;
    /** A --create-pool dry run whose pool does not exist yet: there is no client to read. */
    let plannedPool = false;
    if (opts.createPool) {
      const poolName = opts.poolName ?? 'cognito-gateway';
      const domain = opts.domain ?? `${slug(poolName)}-${slug(config.idp.clientId).slice(0, 12)}`;
      const existing = await admin.describeUserPoolDomain(domain);
      if (existing?.UserPoolId) {
        out(`user pool ${existing.UserPoolId} with domain ${domain} exists: using it`);
        admin = admin.withUserPool(existing.UserPoolId);
      } else if (opts.dryRun) {
        out(`would create user pool "${poolName}" and domain ${domain}`);
        plannedPool = true;
      } else {
        const pool = await admin.createUserPool({ PoolName: poolName });
        admin = admin.withUserPool(pool.Id!);
        await admin.createUserPoolDomain(domain);
        out(`created user pool ${pool.Id} ("${poolName}") with domain ${domain}`);
        out(`  set idp.userPoolId to ${pool.Id}`);
      }
    }

    // 2. The current client, if any.
    if (!plannedPool) {
      try {
        current = await admin.describeUserPoolClient(config.idp.clientId);
      } catch (e) {
        const err = toCognitoAdminError('DescribeUserPoolClient', e);
        if (err.name !== 'ResourceNotFoundException') throw err;
        current = undefined;
      }
    }

    // 3. Desired settings and the diff.
    const before = current ? canonicalOf(current) : undefined;
    let desired: ReturnType<typeof desiredClient>;
    try {
      desired = desiredClient(before, req, template, { defaultName: 'cognito-gateway' });
    } catch (e) {
      if (e instanceof TemplateRefused) {
        out(`provision: refused ${e.message}`);
        return 2;
      }
      throw e;
    }
    if (current && req.secret !== undefined && !current.ClientSecret) {
      out('warning: the config has a client secret but the app client has none; Cognito cannot add a secret to an existing client: create a new one');
    }
    const changes = diffClients(before, desired);
    if (current && changes.length === 0) {
      out(`no change: app client ${current.ClientId} in ${admin.userPoolId} already matches the gateway config`);
      return 0;
    }
    out(
      current
        ? `${prefix}update app client ${current.ClientId} in ${admin.userPoolId}:`
        : `${prefix}create a new app client "${desired.ClientName}" in ${admin.userPoolId} (client ${config.idp.clientId} does not exist):`,
    );
    for (const line of formatChanges(changes)) out(line);
    if (opts.dryRun) {
      out('dry run: nothing written');
      return 0;
    }

    // 4. Apply.
    if (current) {
      await admin.updateUserPoolClient(toClientInput(current.ClientId!, desired));
      const after = canonicalOf(await admin.describeUserPoolClient(current.ClientId!));
      const left = diffClients(after, desired);
      if (left.length) {
        out(`warning: Cognito did not keep ${left.map((c) => c.field).join(', ')}`);
        return 1;
      }
      out(`updated app client ${current.ClientId}`);
    } else {
      const { ClientId: _ignored, ...input } = toClientInput('', desired);
      const generateSecret = typeof template.GenerateSecret === 'boolean' ? template.GenerateSecret : true;
      const created = await admin.createUserPoolClient({ ...input, ClientName: desired.ClientName, GenerateSecret: generateSecret });
      out(`created app client ${created.ClientId}${created.ClientSecret ? ' (with a secret)' : ' (public)'}`);
      out(`  set idp.clientId to ${created.ClientId}`);
      if (created.ClientSecret) {
        out(
          `  set GATEWAY_CLIENT_SECRET to its secret: aws cognito-idp describe-user-pool-client --user-pool-id ${admin.userPoolId} --client-id ${created.ClientId} --query UserPoolClient.ClientSecret --output text`,
        );
      }
    }
    return 0;
  } catch (e) {
    const err = toCognitoAdminError('provision', e);
    out(`provision: ${err.message}`);
    return 1;
  }
}
