/**
 * Checks on parsed apps that zod's shape cannot express. Each issue carries the key's path
 * (`apps[1].policies[2].include[0].ip_ranges[0]`) and a message that says how to fix it.
 */
import * as z from 'zod';
import { type App, appSchema, type Policy, type Rule } from './schema';
import { parseCidr } from './cidr';
import { emailDomainProblem, emailProblem } from './email';
import { globLiteralHead, globProblem } from './glob';
import { hostPatternKey, parseHostPattern } from './host';
import { normalizePath } from './path';
import { IDENTITY_SELECTORS, SELECTORS, type SelectorName } from './selectors';

export type KeyPath = Array<string | number>;

export interface ConfigIssue {
  /** Display form, e.g. `apps[0].policies[1].include[0]`. */
  path: string;
  keyPath: KeyPath;
  message: string;
}

export function formatKeyPath(keyPath: readonly PropertyKey[]): string {
  let out = '';
  for (const key of keyPath) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** The selectors a rule sets (a valid rule has exactly one). */
export function ruleSelectors(rule: Rule): SelectorName[] {
  return SELECTORS.filter((s) => rule[s] !== undefined);
}

/** A policy that decides every request of its app: anything after it is unreachable. */
export function isCatchAll(policy: Policy): boolean {
  return !policy.paths && !policy.methods && !!policy.include?.some((r) => r.everyone) && !policy.require?.length && !policy.exclude?.length;
}

const CLAUSES = ['include', 'require', 'exclude'] as const;

export function validateApps(apps: readonly App[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const report = (keyPath: KeyPath, message: string) => issues.push({ path: formatKeyPath(keyPath), keyPath, message });

  const idSeen = new Map<string, number>();
  const routeSeen = new Map<string, number>();
  apps.forEach((app, a) => {
    const at: KeyPath = ['apps', a];
    const firstId = idSeen.get(app.id);
    if (firstId !== undefined) report([...at, 'id'], `duplicate app id "${app.id}" (also apps[${firstId}].id); app ids must be unique`);
    else idSeen.set(app.id, a);

    const prefixOk = checkPathPrefix(app, at, report);
    const hostKeys: string[] = [];
    app.hosts?.forEach((h, i) => {
      const r = parseHostPattern(h);
      if (!r.ok) report([...at, 'hosts', i], r.message);
      else hostKeys.push(hostPatternKey(r.pattern));
    });
    const prefixKey = app.caseSensitive !== false ? app.pathPrefix : app.pathPrefix.toLowerCase();
    for (const host of app.hosts ? hostKeys : ['(any host)']) {
      const key = `${host} ${prefixKey}`;
      const other = routeSeen.get(key);
      if (other !== undefined && other !== a) {
        report(at, `same hosts and pathPrefix as apps[${other}] (${host} ${app.pathPrefix}); give one app other hosts or another pathPrefix`);
        break;
      }
      routeSeen.set(key, a);
    }

    if (app.policies.length === 0) report([...at, 'policies'], 'an app without policies denies every request; add at least one policy');
    const names = new Map<string, number>();
    let catchAll: number | undefined;
    app.policies.forEach((policy, p) => {
      const pAt: KeyPath = [...at, 'policies', p];
      if (names.has(policy.name))
        report([...pAt, 'name'], `duplicate policy name "${policy.name}" in app "${app.id}"; names identify policies in decisions and logs`);
      names.set(policy.name, p);
      if (catchAll !== undefined) {
        const c = app.policies[catchAll]!;
        report(
          pAt,
          `unreachable: policy "${policy.name}" comes after "${c.name}" (policies[${catchAll}]), which has no paths, no methods and an everyone include, so it decides every request; move "${policy.name}" before it or remove it`,
        );
      } else if (isCatchAll(policy)) {
        catchAll = p;
      }
      checkPolicy(app, policy, pAt, prefixOk, report);
    });
  });
  return issues;
}

type Report = (keyPath: KeyPath, message: string) => void;

function checkPathPrefix(app: App, at: KeyPath, report: Report): boolean {
  const prefix = app.pathPrefix;
  if (!prefix.startsWith('/')) {
    report([...at, 'pathPrefix'], `"${prefix}" must start with "/"; write /${prefix}`);
    return false;
  }
  if (prefix.includes('*')) {
    report([...at, 'pathPrefix'], `"${prefix}" is a prefix, not a glob; write the literal path (e.g. /admin) and put globs in policies[].paths`);
    return false;
  }
  const n = normalizePath(prefix);
  if (!n.ok || n.path.replace(/(.)\/$/, '$1') !== prefix) {
    report([...at, 'pathPrefix'], n.ok ? `"${prefix}" is not a normalised path; write ${n.path}` : `"${prefix}" is not a valid path: ${n.reason}`);
    return false;
  }
  return true;
}

function checkPolicy(app: App, policy: Policy, at: KeyPath, prefixOk: boolean, report: Report): void {
  policy.paths?.forEach((glob, i) => {
    const problem = globProblem(glob);
    if (problem) report([...at, 'paths', i], problem);
    else if (prefixOk && !globCanMatchUnder(glob, app.pathPrefix, app.caseSensitive !== false)) {
      report(
        [...at, 'paths', i],
        `"${glob}" can never match under the app's pathPrefix ${app.pathPrefix}; policy paths are full request paths, e.g. ${app.pathPrefix === '/' ? '' : app.pathPrefix}${glob}`,
      );
    }
  });

  if (!policy.include?.length && !policy.require?.length) {
    report(at, `policy "${policy.name}" has no rules; add include (any rule matches) or require (every rule matches)`);
  }
  for (const clause of CLAUSES) {
    const rules = policy[clause];
    if (rules && rules.length === 0) report([...at, clause], `${clause} is empty; add a rule or remove ${clause}`);
    for (const [r, rule] of (rules ?? []).entries()) checkRule(policy, rule, clause, [...at, clause, r], report);
  }
}

function checkRule(policy: Policy, rule: Rule, clause: (typeof CLAUSES)[number], at: KeyPath, report: Report): void {
  const selectors = ruleSelectors(rule);
  if (selectors.length === 0) {
    report(at, `a rule needs one selector (${SELECTORS.join(', ')})`);
    return;
  }
  if (selectors.length > 1) {
    report(
      at,
      `a rule has exactly one selector, this one has ${selectors.join(' and ')}; split it into ${selectors.length} rules (under require if all must hold)`,
    );
    return;
  }
  const selector = selectors[0]!;
  if (policy.action === 'allow' && clause === 'include' && selector === 'everyone') {
    report(
      at,
      'allow with an everyone include is refused: use action: bypass to let everyone in without signing in, or authenticated: true for any signed-in user',
    );
  }
  if (clause === 'exclude' && selector === 'everyone') {
    report(at, `excluding everyone means policy "${policy.name}" never applies; remove the policy`);
  }
  if (policy.action === 'bypass' && IDENTITY_SELECTORS.has(selector)) {
    report(at, `bypass skips sign-in, so ${selector} can never be known; use action: allow, or keep only everyone, ip_ranges and countries in a bypass policy`);
  }
  rule.ip_ranges?.forEach((cidr, i) => {
    const r = parseCidr(cidr);
    if (!r.ok) report([...at, 'ip_ranges', i], r.message);
  });
  rule.countries?.forEach((c, i) => {
    if (!/^[A-Za-z][A-Za-z0-9]$/.test(c)) report([...at, 'countries', i], `"${c}" is not an ISO 3166-1 alpha-2 code; write e.g. US or DE`);
  });
  rule.email_domains?.forEach((d, i) => {
    const problem = emailDomainProblem(d);
    if (problem) report([...at, 'email_domains', i], problem);
  });
  rule.emails?.forEach((e, i) => {
    const problem = emailProblem(e);
    if (problem) report([...at, 'emails', i], problem);
  });
  if (rule.claims) {
    const entries = Object.entries(rule.claims);
    if (entries.length === 0) report([...at, 'claims'], 'claims needs at least one claim name: value');
    for (const [name, matcher] of entries) {
      if (matcher && typeof matcher === 'object' && !Array.isArray(matcher)) {
        const problem = regexProblem(matcher.pattern);
        if (problem) report([...at, 'claims', name, 'pattern'], problem);
      }
    }
  }
}

/** Claim patterns are full-match, Unicode-aware regular expressions. */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(`^(?:${pattern})$`, 'u');
    return undefined;
  } catch (e) {
    return `"${pattern}" is not a valid regular expression (${(e as Error).message}); patterns match the whole claim value`;
  }
}

function globCanMatchUnder(glob: string, prefix: string, caseSensitive: boolean): boolean {
  if (prefix === '/') return true;
  const fold = (s: string) => (caseSensitive ? s : s.toLowerCase());
  const head = globLiteralHead(glob);
  const prefixSegments = prefix.split('/').slice(1);
  const common = Math.min(head.segments.length, prefixSegments.length);
  for (let i = 0; i < common; i++) if (fold(head.segments[i]!) !== fold(prefixSegments[i]!)) return false;
  return head.wildcard || head.segments.length >= prefixSegments.length;
}

/** The apps list as the root config parses it: the shape, then every check above, each issue at its key's path. */
export const appsSchema = z.array(appSchema).superRefine((apps, ctx) => {
  for (const issue of validateApps(apps)) ctx.addIssue({ code: 'custom', path: issue.keyPath.slice(1), message: issue.message });
});
export type Apps = z.infer<typeof appsSchema>;
