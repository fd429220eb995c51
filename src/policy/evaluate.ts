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
import type { IpAddress } from './cidr';
import type { ClauseRule, CompiledApp, CompiledPolicy, RuleContext, Truth } from './compile';
import type { CompiledGlob } from './glob';
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

/** `method.toUpperCase()`, without making a new string for a method already in upper case (most are). */
function upperCase(method: string): string {
  for (let i = 0; i < method.length; i++) {
    const code = method.charCodeAt(i);
    if (code < 0x41 || code > 0x5a) return method.toUpperCase();
  }
  return method;
}

/** Kleene and of two truths. */
const and2 = (a: Truth, b: Truth): Truth => (a === 'no' || b === 'no' ? 'no' : a === 'unknown' || b === 'unknown' ? 'unknown' : 'yes');

/** The rules' results, in clauseRules order. */
function testRules(policy: CompiledPolicy, ctx: RuleContext): Truth[] {
  const results = new Array<Truth>(policy.clauseRules.length);
  for (let k = 0; k < results.length; k++) results[k] = policy.clauseRules[k]!.rule.test(ctx);
  return results;
}

/**
 * include: any; require: all; exclude: none (Kleene: an absent clause is yes, an empty include no).
 * `override` lets a counterfactual replace some results.
 */
function combine(policy: CompiledPolicy, results: readonly Truth[], override?: (k: number) => Truth | undefined): Truth {
  let includeYes = false;
  let includeUnknown = false;
  let requireNo = false;
  let requireUnknown = false;
  let excludeYes = false;
  let excludeUnknown = false;
  for (let k = 0; k < results.length; k++) {
    const t = override?.(k) ?? results[k]!;
    const clause = policy.clauseRules[k]!.clause;
    if (clause === 'include') {
      if (t === 'yes') includeYes = true;
      else if (t === 'unknown') includeUnknown = true;
    } else if (clause === 'require') {
      if (t === 'no') requireNo = true;
      else if (t === 'unknown') requireUnknown = true;
    } else if (t === 'yes') excludeYes = true;
    else if (t === 'unknown') excludeUnknown = true;
  }
  const include: Truth = !policy.include || includeYes ? 'yes' : includeUnknown ? 'unknown' : 'no';
  const require: Truth = !policy.require ? 'yes' : requireNo ? 'no' : requireUnknown ? 'unknown' : 'yes';
  const exclude: Truth = !policy.exclude ? 'yes' : excludeYes ? 'no' : excludeUnknown ? 'unknown' : 'yes';
  return and2(and2(include, require), exclude);
}

/** The first of a policy's path globs that matches (undefined: none does). */
function matchingGlob(paths: readonly CompiledGlob[], path: string): CompiledGlob | undefined {
  for (const glob of paths) if (glob.test(path)) return glob;
  return undefined;
}

/** The rules that made a policy true: the first matching include rule, every require rule. */
function decidingRules(policy: CompiledPolicy, results: readonly Truth[]): string {
  let out = '';
  let includeSeen = false;
  for (let k = 0; k < results.length; k++) {
    const { clause, description } = policy.clauseRules[k]!;
    const picked = clause === 'require' || (clause === 'include' && !includeSeen && results[k] === 'yes');
    if (clause === 'include' && picked) includeSeen = true;
    if (picked) out = out ? `${out}; ${description}` : description;
  }
  return out;
}

/** The include and require rules still `unknown` (what a sign-in would settle), `; `-joined. */
function unknownRules(policy: CompiledPolicy, results: readonly Truth[]): string {
  let out = '';
  for (let k = 0; k < results.length; k++) {
    const { clause, description } = policy.clauseRules[k]!;
    if (results[k] === 'unknown' && clause !== 'exclude') out = out ? `${out}; ${description}` : description;
  }
  return out;
}

type DecisionFields = Omit<Decision, 'app' | 'trace'>;

export function evaluate(app: CompiledApp, request: PolicyRequest, identity?: Identity): Decision {
  return evaluatePolicies(app, request, identity, undefined);
}

/**
 * A decision whose trace is made when first read (explain, tests): by evaluating again, with a
 * trace, from the same inputs (the request's fields are copied here; identities are never changed
 * once made), so it is the trace the first evaluation would have recorded. The gateway reads only
 * the other fields. `trace` is a getter of the class: a spread does not copy it (see withReason).
 */
class UntracedDecision implements Decision {
  declare effect: Effect;
  declare app: string;
  declare policy?: string;
  declare rule?: string;
  declare reason: string;
  declare bearerOnly?: boolean;
  declare insufficientScope?: string[];
  readonly #app: CompiledApp;
  readonly #identity: Identity | undefined;
  readonly #method: string;
  readonly #path: string;
  readonly #host: string;
  readonly #clientAddress: string | undefined;
  readonly #country: string | undefined;
  #trace: PolicyTrace[] | undefined;

  constructor(app: CompiledApp, request: PolicyRequest, identity: Identity | undefined, fields: DecisionFields) {
    this.app = app.id;
    this.effect = fields.effect;
    // Only the fields the decision has, like a literal would.
    if (fields.policy !== undefined) this.policy = fields.policy;
    if (fields.rule !== undefined) this.rule = fields.rule;
    this.reason = fields.reason;
    if (fields.bearerOnly !== undefined) this.bearerOnly = fields.bearerOnly;
    if (fields.insufficientScope !== undefined) this.insufficientScope = fields.insufficientScope;
    this.#app = app;
    this.#identity = identity;
    this.#method = request.method;
    this.#path = request.path;
    this.#host = request.host;
    this.#clientAddress = request.clientAddress;
    this.#country = request.country;
  }

  get trace(): PolicyTrace[] {
    if (!this.#trace) {
      const request = { method: this.#method, path: this.#path, host: this.#host, clientAddress: this.#clientAddress, country: this.#country };
      this.#trace = evaluatePolicies(this.#app, request, this.#identity, []).trace;
    }
    return this.#trace;
  }
}

/**
 * The evaluation. With `trace`, every policy considered is recorded there (why it applies or not,
 * each rule's result, notes); without, none of that text is made (UntracedDecision).
 */
function evaluatePolicies(app: CompiledApp, request: PolicyRequest, identity: Identity | undefined, trace: PolicyTrace[] | undefined): Decision {
  const { path, clientAddress, country } = request;
  const method = upperCase(request.method);
  const isBearer = identity?.authMethod === 'bearer';
  let clientIp: IpAddress | undefined;
  let clientIpParsed = false;

  for (const policy of app.policies) {
    if (policy.methods && !policy.methods.has(method)) {
      trace?.push({ policy: policy.name, action: policy.action, applies: false, why: `method ${method} is not one of ${[...policy.methods].join(', ')}` });
      continue;
    }
    const glob = policy.paths ? matchingGlob(policy.paths, path) : undefined;
    if (policy.paths && !glob) {
      trace?.push({
        policy: policy.name,
        action: policy.action,
        applies: false,
        why: `path ${path} matches none of ${policy.paths.map((g) => g.source).join(', ')}`,
      });
      continue;
    }
    if (policy.readsClientIp && !clientIpParsed) {
      clientIp = clientAddress ? parseIp(clientAddress) : undefined;
      clientIpParsed = true;
    }
    // A service policy sees only bearer identities; a session counts as no identity there.
    const seen = policy.action === 'service' && !isBearer ? undefined : identity;
    const results = testRules(policy, { identity: seen, clientIp, country });
    const combined = combine(policy, results);
    let result = combined;
    if (policy.action === 'allow') {
      result = and2(and2(combined, seen ? 'yes' : 'unknown'), isBearer && !policy.acceptsBearer ? 'no' : 'yes');
    } else if (policy.action === 'service' && !isBearer) {
      result = and2(combined, 'unknown');
    }
    if (trace) {
      const methods = policy.methods ? `method ${method}` : 'any method';
      const notes: string[] = [];
      if (policy.action === 'allow') {
        if (!seen && combined !== 'no') notes.push('allow needs a signed-in identity');
        if (isBearer && !policy.acceptsBearer) notes.push('bearer tokens satisfy allow only with auth_methods: [bearer]');
      } else if (policy.action === 'service' && !isBearer) {
        if (combined !== 'no') notes.push('service accepts only bearer tokens');
      }
      trace.push({
        policy: policy.name,
        action: policy.action,
        applies: true,
        why: glob ? `path matches ${glob.source}, ${methods}` : `any path, ${methods}`,
        result,
        rules: policy.clauseRules.map((r, k) => ({ rule: r.description, result: results[k]! })),
        ...(notes.length ? { notes } : {}),
      });
    }

    if (result === 'no') {
      // A token that fails only for want of scope gets its answer here (RFC 6750 insufficient_scope),
      // so a later, broader policy cannot let it through with the wrong scope.
      const missing = policy.action === 'service' && isBearer ? insufficientScope(policy, results) : undefined;
      if (missing) {
        return decisionOf(app, request, identity, trace, {
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
      const rule = unknownRules(policy, results) || decidingRules(policy, results);
      if (policy.action === 'service') {
        return decisionOf(app, request, identity, trace, {
          effect: 'authenticate',
          policy: policy.name,
          rule,
          bearerOnly: true,
          reason: reasonFor(policy, 'bearer-only', ''),
        });
      }
      return decisionOf(app, request, identity, trace, {
        effect: 'authenticate',
        policy: policy.name,
        rule,
        reason: reasonFor(policy, 'sign-in', ''),
      });
    }
    const rule = decidingRules(policy, results);
    switch (policy.action) {
      case 'allow':
      case 'service':
        return decisionOf(app, request, identity, trace, { effect: 'allow', policy: policy.name, rule, reason: reasonFor(policy, 'allows', rule) });
      case 'bypass':
        return decisionOf(app, request, identity, trace, { effect: 'bypass', policy: policy.name, rule, reason: reasonFor(policy, 'bypasses', rule) });
      case 'block':
        return decisionOf(app, request, identity, trace, { effect: 'deny', policy: policy.name, rule, reason: reasonFor(policy, 'blocks', rule) });
    }
  }
  return decisionOf(app, request, identity, trace, { effect: 'deny', reason: 'no policy matched' });
}

/** The decision for the fields: with the trace when one is recorded, else one that makes it when read. */
function decisionOf(
  app: CompiledApp,
  request: PolicyRequest,
  identity: Identity | undefined,
  trace: PolicyTrace[] | undefined,
  fields: DecisionFields,
): Decision {
  return trace ? { app: app.id, ...fields, trace } : new UntracedDecision(app, request, identity, fields);
}

type ReasonKind = 'bearer-only' | 'sign-in' | 'allows' | 'bypasses' | 'blocks';

function reasonText(policy: CompiledPolicy, kind: ReasonKind, rule: string): string {
  switch (kind) {
    case 'bearer-only':
      return `policy "${policy.name}" accepts only bearer tokens; send Authorization: Bearer <access token>`;
    case 'sign-in':
      return `policy "${policy.name}" (${policy.action}) depends on who you are; sign in`;
    case 'allows':
      return `policy "${policy.name}" allows: ${rule}`;
    case 'bypasses':
      return `policy "${policy.name}" bypasses sign-in: ${rule}`;
    case 'blocks':
      return `policy "${policy.name}" blocks: ${rule}`;
  }
}

/**
 * The last reason made per compiled policy and kind, with its rule text: a reason is a function of
 * the policy's name and action (a compiled policy is never changed), the kind and the rule text, so
 * the same rule text gives back the same string (a policy mostly decides by the same rules).
 */
const reasons = new WeakMap<CompiledPolicy, Partial<Record<ReasonKind, { rule: string; reason: string }>>>();

function reasonFor(policy: CompiledPolicy, kind: ReasonKind, rule: string): string {
  let memo = reasons.get(policy);
  if (memo === undefined) {
    memo = {};
    reasons.set(policy, memo);
  }
  const last = memo[kind];
  if (last !== undefined && last.rule === rule) return last.reason;
  const reason = reasonText(policy, kind, rule);
  memo[kind] = { rule, reason };
  return reason;
}

/**
 * A decision with another `reason`, every other field the same, its trace still made only when read
 * (a spread would not copy an UntracedDecision's trace at all).
 */
export function withReason(decision: Decision, reason: string): Decision {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(decision)) if (key !== 'trace') out[key] = decision[key as keyof Decision];
  out.reason = reason;
  Object.defineProperty(out, 'trace', { get: () => decision.trace, enumerable: true });
  return out as unknown as Decision;
}

/**
 * Would the service policy have passed if the token had the scopes its include/require scope rules ask
 * for? Then the answer is 403 insufficient_scope naming those scopes rather than a plain deny.
 */
function insufficientScope(policy: CompiledPolicy, results: readonly Truth[]) {
  const failing: ClauseRule[] = [];
  for (let k = 0; k < results.length; k++) {
    const r = policy.clauseRules[k]!;
    if (r.clause !== 'exclude' && r.rule.scopes && results[k] === 'no') failing.push(r);
  }
  if (failing.length === 0) return undefined;
  if (combine(policy, results, (k) => (failing.includes(policy.clauseRules[k]!) ? 'yes' : undefined)) !== 'yes') return undefined;
  const scopes = [...new Set(failing.flatMap((r) => r.rule.scopes ?? []))];
  return { rule: failing.map((r) => r.description).join('; '), scopes };
}
