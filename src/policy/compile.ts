/**
 * Compiles parsed apps once at config load (globs, CIDRs, regexes, lookup sets), so that evaluating a
 * request does no parsing.
 */
import type { Identity } from '../identity';
import type { App, ClaimMatcher, Policy, Rule } from './schema';
import type { IpAddress } from './cidr';
import { compileCidrs } from './cidr';
import { canonicalText, emailDomainMatches, emailMatches } from './email';
import { compileGlob, type CompiledGlob } from './glob';
import { parseHostPattern, type HostPattern } from './host';
import type { PolicyAction, SelectorName } from './selectors';
import { ruleSelectors, validateApps, type ConfigIssue } from './validate';

/** Three-valued truth: `unknown` when a rule needs an identity and there is none (yet). */
export type Truth = 'yes' | 'no' | 'unknown';

export interface RuleContext {
  identity: Identity | undefined;
  clientIp: IpAddress | undefined;
  country: string | undefined;
}

export interface CompiledRule {
  selector: SelectorName;
  /** e.g. `groups: admins, staff`. */
  label: string;
  /** Scope values when the rule is a `scopes` rule (for insufficient_scope answers). */
  scopes?: readonly string[];
  /** The rule reads `ctx.clientIp` (ip_ranges); no other rule does. */
  readsClientIp?: boolean;
  test(ctx: RuleContext): Truth;
}

export interface CompiledPolicy {
  name: string;
  action: PolicyAction;
  paths?: readonly CompiledGlob[];
  methods?: ReadonlySet<string>;
  include?: readonly CompiledRule[];
  require?: readonly CompiledRule[];
  exclude?: readonly CompiledRule[];
  /** An allow policy accepts bearer identities only if an include/require rule names auth_methods bearer. */
  acceptsBearer: boolean;
  /** include, require and exclude rules in that order, each with its trace label, listed once at compile. */
  clauseRules: readonly ClauseRule[];
  /** Whether a rule reads the client address (ip_ranges): the address is parsed only then. */
  readsClientIp: boolean;
}

/** A rule in its clause, e.g. `include[0] groups: admins` (its `description`). */
export interface ClauseRule {
  clause: 'include' | 'require' | 'exclude';
  index: number;
  rule: CompiledRule;
  description: string;
}

export interface CompiledApp {
  id: string;
  name: string;
  contact?: string;
  /** Undefined: any host. */
  hosts?: readonly HostPattern[];
  pathPrefix: string;
  /** pathPrefix as matchApp compares it: folded like the app folds paths, and with a final `/` (the segment boundary). */
  prefixMatch: { folded: string; below: string };
  caseSensitive: boolean;
  /** Decide a mixed-case path as its lower-case form too; the stricter answer wins (caseSensitive unset). */
  foldCheck: boolean;
  /** Refuse spellings that some upstreams read as another path. */
  refuseUnusualPaths: boolean;
  /** Untrusted client headers this app's upstream may still receive (canonical lower-case names). */
  trustClientHeaders: readonly string[];
  cors?: App['cors'];
  upstream: string;
  /** `upstream`, parsed once. */
  upstreamUrl: URL;
  session?: App['session'];
  login?: App['login'];
  headers?: App['headers'];
  policies: readonly CompiledPolicy[];
  /** The parsed config this was compiled from. */
  source: App;
}

export class PolicyConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid apps config:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'PolicyConfigError';
  }
}

/** Validates (throws PolicyConfigError listing every issue) and compiles. */
export function compileApps(apps: readonly App[]): CompiledApp[] {
  const issues = validateApps(apps);
  if (issues.length > 0) throw new PolicyConfigError(issues);
  return apps.map(compileApp);
}

function compileApp(app: App): CompiledApp {
  const hosts = app.hosts?.map((h) => {
    const r = parseHostPattern(h);
    if (!r.ok) throw new Error(r.message);
    return r.pattern;
  });
  return {
    id: app.id,
    name: app.name ?? app.id,
    contact: app.contact,
    hosts,
    pathPrefix: app.pathPrefix,
    prefixMatch: prefixMatch(app.pathPrefix, app.caseSensitive !== false),
    caseSensitive: app.caseSensitive !== false,
    foldCheck: app.caseSensitive === undefined,
    refuseUnusualPaths: app.unusualPaths === 'refuse',
    trustClientHeaders: app.trustClientHeaders.map((h) => h.toLowerCase().replaceAll('_', '-')),
    cors: app.cors,
    upstream: app.upstream,
    upstreamUrl: new URL(app.upstream),
    session: app.session,
    login: app.login,
    headers: app.headers,
    policies: app.policies.map((p) => compilePolicy(p, app.caseSensitive !== false)),
    source: app,
  };
}

function prefixMatch(pathPrefix: string, caseSensitive: boolean): CompiledApp['prefixMatch'] {
  const folded = caseSensitive ? pathPrefix : pathPrefix.toLowerCase();
  return { folded, below: folded.endsWith('/') ? folded : `${folded}/` };
}

function compilePolicy(policy: Policy, caseSensitive: boolean): CompiledPolicy {
  const rules = (list: readonly Rule[] | undefined) => list?.map((r) => compileRule(r, policy.allowUnverifiedEmail));
  const namesBearer = (list: readonly Rule[] | undefined) => !!list?.some((r) => r.auth_methods?.includes('bearer'));
  const include = rules(policy.include);
  const require = rules(policy.require);
  const exclude = rules(policy.exclude);
  const clauseRules: ClauseRule[] = [];
  for (const [clause, list] of [
    ['include', include],
    ['require', require],
    ['exclude', exclude],
  ] as const) {
    for (const [index, rule] of (list ?? []).entries()) clauseRules.push({ clause, index, rule, description: `${clause}[${index}] ${rule.label}` });
  }
  return {
    name: policy.name,
    action: policy.action,
    paths: policy.paths?.map((p) => {
      const r = compileGlob(p, caseSensitive);
      if (!r.ok) throw new Error(r.message);
      return r.glob;
    }),
    methods: policy.methods ? new Set(policy.methods) : undefined,
    include,
    require,
    exclude,
    acceptsBearer: namesBearer(policy.include) || namesBearer(policy.require),
    clauseRules,
    readsClientIp: clauseRules.some((r) => r.rule.readsClientIp === true),
  };
}

const yesNo = (b: boolean): Truth => (b ? 'yes' : 'no');

/** A rule that needs an identity: `unknown` without one. */
const identityRule =
  (check: (id: Identity) => boolean) =>
  (ctx: RuleContext): Truth =>
    ctx.identity ? yesNo(check(ctx.identity)) : 'unknown';

export function compileRule(rule: Rule, allowUnverifiedEmail = false): CompiledRule {
  const [selector] = ruleSelectors(rule);
  if (!selector) throw new Error('a rule needs exactly one selector');
  const emailUsable = (id: Identity) => !!id.email && (id.emailVerified || allowUnverifiedEmail);
  const values = (list: readonly string[]) => `${selector}: ${list.join(', ')}`;
  const inSet = (list: readonly string[]) => new Set(list);

  if (rule.everyone) return { selector, label: 'everyone', test: () => 'yes' };
  if (rule.authenticated) return { selector, label: 'authenticated', test: identityRule(() => true) };
  if (rule.users) {
    const set = inSet(rule.users);
    return { selector, label: values(rule.users), test: identityRule((id) => set.has(id.sub) || (!!id.username && set.has(id.username))) };
  }
  if (rule.emails) {
    const set = new Set(rule.emails.map(canonicalText));
    return { selector, label: values(rule.emails), test: identityRule((id) => emailUsable(id) && emailMatches(id.email!, set)) };
  }
  if (rule.email_domains) {
    const set = new Set(rule.email_domains.map(canonicalText));
    return { selector, label: values(rule.email_domains), test: identityRule((id) => emailUsable(id) && emailDomainMatches(id.email!, set)) };
  }
  if (rule.groups) {
    const set = inSet(rule.groups);
    return { selector, label: values(rule.groups), test: identityRule((id) => id.groups.some((g) => set.has(g))) };
  }
  if (rule.identity_providers) {
    const set = inSet(rule.identity_providers);
    return { selector, label: values(rule.identity_providers), test: identityRule((id) => id.identityProviders.some((p) => set.has(p))) };
  }
  if (rule.scopes) {
    const set = inSet(rule.scopes);
    return { selector, label: values(rule.scopes), scopes: rule.scopes, test: identityRule((id) => id.scopes.some((s) => set.has(s))) };
  }
  if (rule.clients) {
    const set = inSet(rule.clients);
    return { selector, label: values(rule.clients), test: identityRule((id) => !!id.clientId && set.has(id.clientId)) };
  }
  if (rule.auth_methods) {
    const set = new Set<string>(rule.auth_methods);
    return { selector, label: values(rule.auth_methods), test: identityRule((id) => set.has(id.authMethod)) };
  }
  if (rule.claims) {
    const checks = Object.entries(rule.claims).map(([name, matcher]) => ({ name, match: compileClaimMatcher(matcher) }));
    const label = `claims: ${Object.entries(rule.claims)
      .map(([n, m]) => claimLabel(n, m))
      .join(', ')}`;
    return {
      selector,
      label,
      test: identityRule((id) =>
        checks.every(({ name, match }) => {
          const value = id.claims[name];
          return Array.isArray(value) ? value.some(match) : match(value);
        }),
      ),
    };
  }
  if (rule.ip_ranges) {
    const set = compileCidrs(rule.ip_ranges);
    // Without a known client address the rule is simply false (addresses are not something a sign-in can supply).
    return {
      selector,
      label: values(set.cidrs.map((c) => c.text)),
      readsClientIp: true,
      test: (ctx) => yesNo(!!ctx.clientIp && set.matches(ctx.clientIp)),
    };
  }
  if (rule.countries) {
    const set = new Set(rule.countries.map((c) => c.toUpperCase()));
    return { selector, label: values([...set]), test: (ctx) => yesNo(!!ctx.country && set.has(ctx.country.toUpperCase())) };
  }
  throw new Error(`unsupported selector ${selector}`);
}

/** Claim values compare as strings (Cognito's custom:* claims are always strings); patterns match whole values. */
function compileClaimMatcher(matcher: ClaimMatcher): (value: unknown) => boolean {
  const primitive = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);
  if (Array.isArray(matcher)) {
    const set = new Set(matcher.map(String));
    return (v) => {
      const s = primitive(v);
      return s !== undefined && set.has(s);
    };
  }
  if (typeof matcher === 'object') {
    const re = new RegExp(`^(?:${matcher.pattern})$`, 'u');
    return (v) => {
      const s = primitive(v);
      return s !== undefined && re.test(s);
    };
  }
  const expected = String(matcher);
  return (v) => primitive(v) === expected;
}

function claimLabel(name: string, matcher: ClaimMatcher): string {
  if (Array.isArray(matcher)) return `${name}=${matcher.map(String).join('|')}`;
  if (typeof matcher === 'object') return `${name}~/${matcher.pattern}/`;
  return `${name}=${String(matcher)}`;
}
