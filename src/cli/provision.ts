/**
 * `cognito-gateway provision --config FILE [--dry-run] [--templates DIR] [--create-pool]
 * [--pool-name NAME] [--domain PREFIX]`: creates or updates the user pool, its hosted-UI domain, its
 * MFA settings, the federated identity providers the config names and one app client per realm,
 * from request templates (config/provision/*.json, or the user's copies in --templates DIR; a file
 * missing there falls back to the default). The work is src/cognito/provision.ts; this file reads
 * the config and the templates.
 *
 * Exit codes: 0 done (or nothing to do), 1 a Cognito call failed or the pool is missing, 2 bad config
 * or template.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env, ResolvedConfig } from '../config/load';
import type { CognitoAdminOptions } from '../cognito/client';
import { adminOptionsFromSettings, cognitoAdminSettings } from '../cognito/config';
import { type LoadedTemplate, provision, type ProvisionTemplates } from '../cognito/provision';
import { createProvisionAdmin, type ProvisionAdmin } from '../cognito/provision-admin';
import { clientSpecsOf } from '../cognito/provision-specs';
import { TEMPLATE_FILES, type TemplateKind } from '../cognito/provision-templates';
import { readConfigFile } from './config-file';

/** The shipped templates (config/provision/ of the package, from src/cli or dist/cli alike). */
export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../../config/provision/', import.meta.url));

export interface ProvisionOptions {
  dryRun: boolean;
  /** A folder with the user's copies of the templates. */
  templates?: string;
  /** Create the pool (found again by its domain later) instead of using idp.userPoolId. */
  createPool?: boolean;
  poolName?: string;
  domain?: string;
  env: Env;
  out: (line: string) => void;
  adminFactory?: (opts: CognitoAdminOptions) => ProvisionAdmin;
}

class TemplateFileError extends Error {}

async function readJson(path: string, shown: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new TemplateFileError(`cannot read ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TemplateFileError(`${shown} is not valid JSON: ${(e as Error).message}`);
  }
}

const PROVIDER_FILE = /^identity-provider-(.+)\.json$/;

/** The templates: the user's where the folder has them, the defaults otherwise. */
export async function loadTemplates(dir: string | undefined, out: (line: string) => void): Promise<ProvisionTemplates> {
  let own: string[] = [];
  if (dir) {
    try {
      own = await readdir(dir);
    } catch (e) {
      throw new TemplateFileError(`cannot read the templates folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const byKind = {} as Record<TemplateKind, LoadedTemplate>;
  const mine: string[] = [];
  for (const [kind, name] of Object.entries(TEMPLATE_FILES) as Array<[TemplateKind, string]>) {
    if (dir && own.includes(name)) {
      const file = join(dir, name);
      byKind[kind] = { file, json: await readJson(file, file) };
      mine.push(name);
    } else {
      byKind[kind] = { file: name, json: await readJson(join(DEFAULT_TEMPLATES_DIR, name), `the default template ${name}`) };
    }
  }
  const providers: Record<string, LoadedTemplate> = {};
  for (const name of own) {
    const m = PROVIDER_FILE.exec(name);
    if (!m) continue;
    const file = join(dir!, name);
    providers[m[1]!] = { file, json: await readJson(file, file) };
    mine.push(name);
  }
  if (dir)
    out(
      `templates: ${mine.length ? mine.join(', ') : 'none'} from ${dir}${mine.length < Object.keys(TEMPLATE_FILES).length ? '; the rest are the defaults' : ''}`,
    );
  return { byKind, providers };
}

export async function runProvision(configPath: string, opts: ProvisionOptions): Promise<number> {
  const { out, env } = opts;
  let config: ResolvedConfig;
  let templates: ProvisionTemplates;
  try {
    config = await readConfigFile(configPath, env);
    templates = await loadTemplates(opts.templates, out);
  } catch (e) {
    out(`provision: ${(e as Error).message}`);
    return 2;
  }
  if (config.idp.type !== 'cognito') {
    out('provision: idp.type is oidc; provision manages Cognito user pools only');
    return 2;
  }
  let adminOptions: CognitoAdminOptions;
  try {
    adminOptions = adminOptionsFromSettings(cognitoAdminSettings(config, env), env);
  } catch (e) {
    out(`provision: ${(e as Error).message}`);
    return 2;
  }
  const admin = (opts.adminFactory ?? createProvisionAdmin)({ ...adminOptions, timeoutMs: Math.max(adminOptions.timeoutMs ?? 0, 10_000) });
  const result = await provision({
    admin,
    specs: clientSpecsOf(config),
    templates,
    createPool: opts.createPool === true,
    ...(opts.poolName ? { poolName: opts.poolName } : {}),
    ...(opts.domain ? { domain: opts.domain } : {}),
    dryRun: opts.dryRun,
    env,
    out,
  });
  return result.code;
}
