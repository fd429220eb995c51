/**
 * `cognito-gateway access-report`: who may reach what, for an auditor. Per app and policy, the
 * selectors that grant or block it; with `--users`, the pool's actual users (ListUsers, groups from
 * ListGroups + ListUsersInGroup, all pages) decided by the gateway's own decision function for each
 * policy's paths, and the users no allow rule lets in anywhere. Markdown, JSON or a static HTML page.
 */
import { writeFile } from 'node:fs/promises';
import type { AdminUser, CognitoAdmin } from '../cognito/client';
import { createCognitoAdmin } from '../cognito/client';
import { adminOptionsFromSettings, cognitoAdminSettings } from '../cognito/config';
import type { Env, ResolvedConfig } from '../config/load';
import { compileConfig } from '../gateway/app';
import { decide, type CompiledGateway, type RequestView } from '../gateway/decide';
import { escapeHtml } from '../http';
import { identityFromClaims, type Identity } from '../identity';
import type { CompiledPolicy } from '../policy';

export interface ReportPolicy {
  name: string;
  action: string;
  paths: string[];
  methods: string[];
  include: string[];
  require: string[];
  exclude: string[];
  /** The request decided for the users: the policy's first method and a path its first glob matches. */
  sample: { method: string; path: string };
  /** Users the gateway lets in through this policy (with --users). */
  users?: string[];
}

export interface AccessReport {
  generatedAt: string;
  userPoolId?: string;
  apps: Array<{
    id: string;
    name: string;
    hosts: string[];
    pathPrefix: string;
    contact?: string;
    /** The app's realm (apps[].idp) and the app client its users sign in with. */
    realm: { name: string; clientId: string };
    policies: ReportPolicy[];
  }>;
  users?: Array<{ username: string; enabled: boolean; status: string; email?: string; groups: string[]; reaches: string[] }>;
  /** Enabled users no allow policy lets in anywhere. */
  reachNothing?: string[];
}

/** Pages through a listing until it ends (a bound keeps a misbehaving API from looping forever). */
async function allPages<T>(page: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  for (let i = 0; i < 10_000; i++) {
    const r = await page(token);
    out.push(...r.items);
    if (!r.next) return out;
    token = r.next;
  }
  throw new Error('access-report: more than 10,000 pages; stopped');
}

/** Every user of the pool with their groups. */
export async function poolUsers(admin: CognitoAdmin): Promise<Array<AdminUser & { groups: string[] }>> {
  const users = await allPages(async (t) => {
    const r = await admin.listUsers(t);
    return { items: r.users, next: r.next };
  });
  const groups = await allPages(async (t) => {
    const r = await admin.listGroups(t);
    return { items: r.groups, next: r.next };
  });
  const byUser = new Map<string, string[]>();
  for (const g of groups) {
    const members = await allPages(async (t) => {
      const r = await admin.listUsersInGroup(g, t);
      return { items: r.users, next: r.next };
    });
    for (const m of members) byUser.set(m.username, [...(byUser.get(m.username) ?? []), g]);
  }
  return users.map((u) => ({ ...u, groups: (byUser.get(u.username) ?? []).sort() }));
}

function sampleRequest(policy: CompiledPolicy, prefix: string): { method: string; path: string } {
  const method = policy.methods ? [...policy.methods][0]! : 'GET';
  const glob = policy.paths?.[0]?.source;
  return { method, path: glob ? glob.replace(/\*\*?/g, 'x') : prefix };
}

function identityOf(user: AdminUser & { groups: string[] }, groupsClaim: string): Identity {
  const claims: Record<string, unknown> = { ...user.attributes, 'cognito:username': user.username, token_use: 'id' };
  claims.email_verified = user.attributes.email_verified === 'true';
  if (user.groups.length) claims['cognito:groups'] = user.groups;
  if (user.attributes.identities) {
    try {
      claims.identities = JSON.parse(user.attributes.identities);
    } catch {
      delete claims.identities;
    }
  }
  return identityFromClaims(claims, 'session', { groupsClaim });
}

/** Whether the gateway lets this identity in through exactly this policy (a browser session). */
function reaches(
  compiled: CompiledGateway,
  app: CompiledGateway['apps'][number],
  host: string,
  sample: { method: string; path: string },
  identity: Identity,
  policy: string,
): boolean {
  const view: RequestView = {
    method: sample.method,
    host,
    rawTarget: sample.path,
    origin: `https://${host}`,
    proto: 'https',
    headers: new Headers({ accept: 'text/html' }),
    credentials: { session: true },
    canRedirect: true,
  };
  let outcome = decide(view, compiled);
  if (outcome.kind === 'needs-credential') outcome = decide(view, compiled, { credential: 'session', identity });
  return outcome.kind === 'decided' && outcome.app.id === app.id && outcome.answer === 'allow' && outcome.decision.policy === policy;
}

export function buildAccessReport(config: ResolvedConfig, users?: Array<AdminUser & { groups: string[] }>, now = new Date()): AccessReport {
  const compiled = compileConfig(config);
  const identities = users?.map((u) => ({ user: u, identity: identityOf(u, config.idp.groupsClaim) }));
  const reached = new Map<string, string[]>();
  const apps = compiled.apps.map((app) => {
    const host = app.source.hosts?.find((h) => !h.startsWith('*')) ?? app.source.hosts?.[0]?.replace(/^\*\./, 'x.') ?? 'gateway.example';
    const policies = app.policies.map((p): ReportPolicy => {
      const sample = sampleRequest(p, app.pathPrefix);
      const entry: ReportPolicy = {
        name: p.name,
        action: p.action,
        paths: p.paths?.map((g) => g.source) ?? [],
        methods: p.methods ? [...p.methods] : [],
        include: p.include?.map((r) => r.label) ?? [],
        require: p.require?.map((r) => r.label) ?? [],
        exclude: p.exclude?.map((r) => r.label) ?? [],
        sample,
      };
      if (identities && p.action === 'allow') {
        entry.users = identities
          .filter(({ user, identity }) => user.enabled && reaches(compiled, app, host, sample, identity, p.name))
          .map(({ user }) => user.username);
        for (const u of entry.users) reached.set(u, [...(reached.get(u) ?? []), `${app.id}/${p.name}`]);
      }
      return entry;
    });
    const realm = config.realms.find((r) => r.name === config.appRealms[app.id]) ?? config.realms[0]!;
    return {
      id: app.id,
      name: app.name,
      hosts: app.source.hosts ?? [],
      pathPrefix: app.pathPrefix,
      contact: app.contact,
      realm: { name: realm.name, clientId: realm.idp.clientId },
      policies,
    };
  });
  const report: AccessReport = { generatedAt: now.toISOString(), userPoolId: config.idp.userPoolId, apps };
  if (users) {
    report.users = users.map((u) => ({
      username: u.username,
      enabled: u.enabled,
      status: u.userStatus,
      email: u.attributes.email,
      groups: u.groups,
      reaches: reached.get(u.username) ?? [],
    }));
    report.reachNothing = users.filter((u) => u.enabled && !reached.has(u.username)).map((u) => u.username);
  }
  return report;
}

const rules = (p: ReportPolicy) =>
  [
    p.include.length ? `include any of: ${p.include.join('; ')}` : '',
    p.require.length ? `require all of: ${p.require.join('; ')}` : '',
    p.exclude.length ? `exclude: ${p.exclude.join('; ')}` : '',
  ]
    .filter(Boolean)
    .join(' · ') || '(no rules)';
const scope = (p: ReportPolicy) => `${p.methods.length ? p.methods.join(',') : 'any method'} ${p.paths.length ? p.paths.join(', ') : 'any path'}`;

export function accessReportMarkdown(r: AccessReport): string {
  const md = (t: string) => t.replaceAll('|', '\\|');
  const lines = [`# Access report`, '', `Generated ${r.generatedAt}${r.userPoolId ? ` for pool ${r.userPoolId}` : ''}.`, ''];
  for (const app of r.apps) {
    lines.push(
      `## ${md(app.name)} (\`${app.id}\`)`,
      '',
      `Hosts: ${app.hosts.length ? app.hosts.join(', ') : 'any'} · path prefix \`${app.pathPrefix}\` · realm \`${app.realm.name}\` (app client \`${app.realm.clientId}\`)`,
      '',
    );
    lines.push(`| # | policy | action | applies to | rules |${r.users ? ' users let in |' : ''}`, `| --- | --- | --- | --- | --- |${r.users ? ' --- |' : ''}`);
    app.policies.forEach((p, i) => {
      const who = r.users ? ` ${p.users ? (p.users.length ? p.users.join(', ') : '(none)') : '–'} |` : '';
      lines.push(`| ${i + 1} | ${md(p.name)} | ${p.action} | ${md(scope(p))} | ${md(rules(p))} |${who}`);
    });
    lines.push('', 'First matching policy wins; no match is a deny.', '');
  }
  if (r.users) {
    lines.push('## Users', '', '| user | enabled | groups | reaches |', '| --- | --- | --- | --- |');
    for (const u of r.users)
      lines.push(`| ${md(u.username)} | ${u.enabled ? 'yes' : `no (${u.status})`} | ${u.groups.join(', ') || '–'} | ${u.reaches.join(', ') || '(nothing)'} |`);
    lines.push('', `Enabled users no allow policy lets in: ${r.reachNothing!.length ? r.reachNothing!.join(', ') : 'none'}.`, '');
  }
  return lines.join('\n');
}

export function accessReportHtml(r: AccessReport): string {
  const e = escapeHtml;
  const sections = r.apps.map((app) => {
    const rows = app.policies
      .map(
        (p, i) =>
          `<tr><td>${i + 1}</td><td>${e(p.name)}</td><td>${p.action}</td><td>${e(scope(p))}</td><td>${e(rules(p))}</td>${r.users ? `<td class="users">${e(p.users ? p.users.join(', ') || '(none)' : '–')}</td>` : ''}</tr>`,
      )
      .join('\n');
    return `<section id="app-${e(app.id)}"><h2>${e(app.name)} <code>${e(app.id)}</code></h2>
<p>Hosts: ${e(app.hosts.join(', ') || 'any')} · path prefix <code>${e(app.pathPrefix)}</code> · realm <code>${e(app.realm.name)}</code> (app client <code>${e(app.realm.clientId)}</code>)</p>
<table><thead><tr><th>#</th><th>policy</th><th>action</th><th>applies to</th><th>rules</th>${r.users ? '<th>users let in</th>' : ''}</tr></thead><tbody>
${rows}
</tbody></table></section>`;
  });
  const users = r.users
    ? `<section id="users"><h2>Users</h2><table><thead><tr><th>user</th><th>enabled</th><th>groups</th><th>reaches</th></tr></thead><tbody>
${r.users.map((u) => `<tr><td>${e(u.username)}</td><td>${u.enabled ? 'yes' : `no (${e(u.status)})`}</td><td>${e(u.groups.join(', ') || '–')}</td><td>${e(u.reaches.join(', ') || '(nothing)')}</td></tr>`).join('\n')}
</tbody></table><p id="reach-nothing">Enabled users no allow policy lets in: ${e(r.reachNothing!.join(', ') || 'none')}.</p></section>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Access report</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;color:#1d2330}table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #d0d4dc;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f0f1f4}code{font:.9em ui-monospace,monospace}</style>
</head><body><h1>Access report</h1><p>Generated ${e(r.generatedAt)}${r.userPoolId ? ` for pool <code>${e(r.userPoolId)}</code>` : ''}. First matching policy wins; no match is a deny.</p>
${sections.join('\n')}
${users}
</body></html>
`;
}

export async function runAccessReport(
  config: ResolvedConfig,
  opts: { users: boolean; format: string; outFile?: string; env: Env; out: (line: string) => void; admin?: CognitoAdmin },
): Promise<number> {
  let users: Array<AdminUser & { groups: string[] }> | undefined;
  if (opts.users) {
    const admin = opts.admin ?? createCognitoAdmin(adminOptionsFromSettings(cognitoAdminSettings(config, opts.env), opts.env));
    users = await poolUsers(admin);
  }
  const report = buildAccessReport(config, users);
  const text =
    opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : opts.format === 'html' ? accessReportHtml(report) : accessReportMarkdown(report);
  if (opts.outFile) {
    await writeFile(opts.outFile, text);
    opts.out(`access report written to ${opts.outFile}`);
  } else opts.out(text);
  return 0;
}
