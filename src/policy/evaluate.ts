/**
 * Policy evaluation: policies in order, the first decisive one wins, deny by default.
 *
 * Three-valued (Kleene) logic: without an identity, identity selectors are `unknown`. If the first
 * applicable policy that is not definitely false is `unknown`, the answer is `authenticate`: anonymous
 * users are asked to sign in rather than denied or let through, and a `block` that depends on identity
 * cannot be dodged by staying anonymous.
 *
 * Sessions for browsers, tokens for services: an `allow` policy needs a signed-in identity and a bearer
 * token satisfies it only if the policy names `auth_methods: [bearer]` in include or require; a `service`
 * policy looks only at bearer identities (a session or no identity gets `authenticate` with
 * `bearerOnly`, never a redirect). A bearer token that fails a service policy only for want of scope is
 * denied there with `insufficientScope`; failing other rules (clients, ip_ranges) moves on.
 */
import type { Identity } from '../identity';
import { parseIp } from './cidr';
import type { CompiledApp, CompiledPolicy, CompiledRule, RuleContext, Truth } from './compile';
import type { PolicyAction } from './selectors';

export interface PolicyRequest {
  method: string;
  /** Normalised path (normalizePath), the one that is forwarded. */
  path: string;
  host: string;
  clientAddress?: string;
  country?: string;
}

export interface RuleTrace {
  /** e.g. `include[0] groups: admins`. */
  rule: string;
  result: Truth;
}

export interface PolicyTrace {
  policy: string;
  action: PolicyAction;
  applies: boolean;
  /** Why the policy applies or not (paths, methods). */
  why: string;
  /** Combined result of the rules (and the action's implicit conditions), when the policy applies. */
  result?: Truth;
  rules?: RuleTrace[];
  /** Implicit conditions that changed the outcome (signed-in required, bearer only...). */
  notes?: string[];
}

export type Effect = 'allow' | 'bypass' | 'deny' | 'authenticate';

export interface Decision {
  effect: Effect;
  app: string;
  policy?: string;
  /** The rule(s) that decided, e.g. `include[0] groups: admins`. */
  rule?: string;
  reason: string;
  /** Answer 401 with `WWW-Authenticate: Bearer`, never redirect to sign-in. */
  bearerOnly?: boolean;
  /** Scopes one of which would have satisfied a service policy (RFC 6750 403 insufficient_scope). */
  insufficientScope?: string[];
  trace: PolicyTrace[];
}

const or = (ts: readonly Truth[]): Truth => (ts.includes('yes') ? 'yes' : ts.includes('unknown') ? 'unknown' : 'no');
const and = (ts: readonly Truth[]): Truth => (ts.includes('no') ? 'no' : ts.includes('unknown') ? 'unknown' : 'yes');
const not = (t: Truth): Truth => (t === 'yes' ? 'no' : t === 'no' ? 'yes' : 'unknown');

type Clause = 'include' | 'require' | 'exclude';
interface Evaluated {
  clause: Clause;
  index: number;
  rule: CompiledRule;
  result: Truth;
}

const describe = (e: Evaluated) => `${e.clause}[${e.index}] ${e.rule.label}`;

function evaluateRules(policy: CompiledPolicy, ctx: RuleContext): Evaluated[] {
  const out: Evaluated[] = [];
  for (const clause of ['include', 'require', 'exclude'] as const) {
    for (const [index, rule] of (policy[clause] ?? []).entries()) out.push({ clause, index, rule, result: rule.test(ctx) });
  }
  return out;
}

/** include: any; require: all; exclude: none. `override` lets a counterfactual replace some results. */
function combine(policy: CompiledPolicy, rules: readonly Evaluated[], override?: (e: Evaluated) => Truth | undefined): Truth {
  const of = (clause: Clause) => rules.filter((r) => r.clause === clause).map((r) => override?.(r) ?? r.result);
  return and([policy.include ? or(of('include')) : 'yes', policy.require ? and(of('require')) : 'yes', policy.exclude ? not(or(of('exclude'))) : 'yes']);
}

function applicability(policy: CompiledPolicy, request: PolicyRequest): { applies: boolean; why: string } {
  const method = request.method.toUpperCase();
  if (policy.methods && !policy.methods.has(method)) {
    return { applies: false, why: `method ${method} is not one of ${[...policy.methods].join(', ')}` };
  }
  const methods = policy.methods ? `method ${method}` : 'any method';
  if (!policy.paths) return { applies: true, why: `any path, ${methods}` };
  const glob = policy.paths.find((g) => g.test(request.path));
  if (!glob) return { applies: false, why: `path ${request.path} matches none of ${policy.paths.map((g) => g.source).join(', ')}` };
  return { applies: true, why: `path matches ${glob.source}, ${methods}` };
}

/** The rules that made a policy true: the first matching include rule, every require rule. */
function decidingRules(rules: readonly Evaluated[]): string {
  const include = rules.find((r) => r.clause === 'include' && r.result === 'yes');
  const picked = [...(include ? [include] : []), ...rules.filter((r) => r.clause === 'require')];
  return picked.map(describe).join('; ');
}

export function evaluate(app: CompiledApp, request: PolicyRequest, identity?: Identity): Decision {
  const trace: PolicyTrace[] = [];
  const clientIp = request.clientAddress ? parseIp(request.clientAddress) : undefined;
  const isBearer = identity?.authMethod === 'bearer';
  const decide = (d: Omit<Decision, 'app' | 'trace'>): Decision => ({ app: app.id, ...d, trace });

  for (const policy of app.policies) {
    const { applies, why } = applicability(policy, request);
    if (!applies) {
      trace.push({ policy: policy.name, action: policy.action, applies, why });
      continue;
    }
    // A service policy sees only bearer identities; a session counts as no identity there.
    const seen = policy.action === 'service' && !isBearer ? undefined : identity;
    const rules = evaluateRules(policy, { identity: seen, clientIp, country: request.country });
    const notes: string[] = [];
    let result = combine(policy, rules);
    if (policy.action === 'allow') {
      if (!seen && result !== 'no') notes.push('allow needs a signed-in identity');
      if (isBearer && !policy.acceptsBearer) notes.push('bearer tokens satisfy allow only with auth_methods: [bearer]');
      result = and([result, seen ? 'yes' : 'unknown', isBearer && !policy.acceptsBearer ? 'no' : 'yes']);
    } else if (policy.action === 'service' && !isBearer) {
      if (result !== 'no') notes.push('service accepts only bearer tokens');
      result = and([result, 'unknown']);
    }
    trace.push({
      policy: policy.name,
      action: policy.action,
      applies,
      why,
      result,
      rules: rules.map((r) => ({ rule: describe(r), result: r.result })),
      ...(notes.length ? { notes } : {}),
    });

    if (result === 'no') {
      // A token that fails only for want of scope gets its answer here (RFC 6750 insufficient_scope),
      // so a later, broader policy cannot let it through with the wrong scope.
      const missing = policy.action === 'service' && isBearer ? insufficientScope(policy, rules) : undefined;
      if (missing) {
        return decide({
          effect: 'deny',
          policy: policy.name,
          rule: missing.rule,
          insufficientScope: missing.scopes,
          reason: `bearer token lacks scope ${missing.scopes.join(' or ')} required by policy "${policy.name}"`,
        });
      }
      continue;
    }
    if (result === 'unknown') {
      const unknown = rules.filter((r) => r.result === 'unknown' && r.clause !== 'exclude').map(describe);
      const rule = unknown.length ? unknown.join('; ') : decidingRules(rules);
      if (policy.action === 'service') {
        return decide({
          effect: 'authenticate',
          policy: policy.name,
          rule,
          bearerOnly: true,
          reason: `policy "${policy.name}" accepts only bearer tokens; send Authorization: Bearer <access token>`,
        });
      }
      return decide({
        effect: 'authenticate',
        policy: policy.name,
        rule,
        reason: `policy "${policy.name}" (${policy.action}) depends on who you are; sign in`,
      });
    }
    const rule = decidingRules(rules);
    switch (policy.action) {
      case 'allow':
      case 'service':
        return decide({ effect: 'allow', policy: policy.name, rule, reason: `policy "${policy.name}" allows: ${rule}` });
      case 'bypass':
        return decide({ effect: 'bypass', policy: policy.name, rule, reason: `policy "${policy.name}" bypasses sign-in: ${rule}` });
      case 'block':
        return decide({ effect: 'deny', policy: policy.name, rule, reason: `policy "${policy.name}" blocks: ${rule}` });
    }
  }
  return decide({ effect: 'deny', reason: 'no policy matched' });
}

/**
 * Would the service policy have passed if the token had the scopes its include/require scope rules ask
 * for? Then the answer is 403 insufficient_scope naming those scopes rather than a plain deny.
 */
function insufficientScope(policy: CompiledPolicy, rules: readonly Evaluated[]) {
  const failing = rules.filter((r) => r.clause !== 'exclude' && r.rule.scopes && r.result === 'no');
  if (failing.length === 0) return undefined;
  if (combine(policy, rules, (r) => (failing.includes(r) ? 'yes' : undefined)) !== 'yes') return undefined;
  const scopes = [...new Set(failing.flatMap((r) => r.rule.scopes ?? []))];
  return { rule: failing.map(describe).join('; '), scopes };
}
