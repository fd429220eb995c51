/**
 * `cognito-gateway explain`: shows, before deploying, how the config decides one request for one
 * identity. Exit 0 for allow/bypass, 1 for deny/authenticate, 2 for usage or config errors, so
 * operators can keep policy expectations in CI.
 */
import { decodeJwt } from 'jose';
import type { ResolvedConfig } from '../config/load';
import type { AuthMethod, Identity } from '../identity';
import { identityFromClaims } from '../identity';
import { compileConfig } from '../gateway/app';
import { decide, type Endpoint, type Outcome, type RequestView } from '../gateway/decide';
import { decisionExitCode, describeMethodGap, formatTrace, identityFromExplainArgs, methodGaps } from '../policy';
import { type FlagSpec, flag, listFlag, type ParsedArgs, UsageError } from './args';

export const EXPLAIN_USAGE = `usage: cognito-gateway explain --config FILE [identity] METHOD URL

identity (omit all for an anonymous request):
  --user NAME            cognito:username          --groups a,b        cognito:groups
  --email ADDR           email (verified unless --email-unverified)
  --claim NAME=VALUE     any claim, repeatable (e.g. --claim custom:tenant=acme)
  --scopes s1,s2         token scopes              --client ID         client_id
  --auth session|bearer|basic                      how the identity was proved (default: session)
  --token JWT            take the claims of a real ID or access token (decoded, NOT verified)
request:
  --ip ADDR              client address            --country CC        CF-IPCountry (Workers)
  --header 'NAME: VALUE' a request header, repeatable (default Accept: text/html, a browser navigation;
                         e.g. --header 'Accept: application/json' for an API client)`;

/** What `explain` accepts (see EXPLAIN_USAGE); anything else is refused with exit 2. */
export const EXPLAIN_FLAGS = {
  values: ['config', 'user', 'groups', 'email', 'claim', 'scopes', 'client', 'auth', 'token', 'ip', 'country', 'header'],
  booleans: ['email-unverified'],
  positionals: true,
} as const satisfies FlagSpec;

export function explainIdentity(args: ParsedArgs, groupsClaim: string): Identity | undefined {
  const token = flag(args, 'token');
  const auth = flag(args, 'auth') as AuthMethod | undefined;
  if (auth && !['session', 'bearer', 'basic'].includes(auth)) throw new UsageError('--auth is session, bearer or basic');
  if (token) {
    let claims: Record<string, unknown>;
    try {
      claims = decodeJwt(token) as Record<string, unknown>;
    } catch {
      throw new UsageError('--token is not a JWT (three base64url parts)');
    }
    return identityFromClaims(claims, auth ?? (claims.token_use === 'access' ? 'bearer' : 'session'), { groupsClaim });
  }
  const claims: Record<string, unknown> = {};
  for (const c of args.flags.get('claim') ?? []) {
    const eq = c.indexOf('=');
    if (eq < 1) throw new UsageError(`--claim ${c}: write NAME=VALUE`);
    claims[c.slice(0, eq)] = c.slice(eq + 1);
  }
  const user = flag(args, 'user');
  const client = flag(args, 'client');
  const email = flag(args, 'email');
  if (!user && !client && !email && Object.keys(claims).length === 0) return undefined;
  return identityFromExplainArgs({
    user,
    groups: listFlag(args, 'groups'),
    email,
    emailVerified: !args.bools.has('email-unverified'),
    claims,
    scopes: listFlag(args, 'scopes'),
    clientId: client,
    authMethod: auth,
  });
}

/**
 * Decides one request with the gateway's own decision function (src/gateway/decide.ts), the way the
 * gateway would: reserved /_auth/ paths, bad paths and unserved hosts are answered as it answers them,
 * and the identity counts only where the decision asks for a credential.
 */
export function runExplain(config: ResolvedConfig, args: ParsedArgs, out: (line: string) => void): number {
  const [method, target] = args.positionals;
  if (!method || !target) throw new UsageError(EXPLAIN_USAGE);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`${target} is not an absolute URL (e.g. https://app.example.com/admin/x)`);
  }
  const identity = explainIdentity(args, config.idp.groupsClaim);
  const compiled = compileConfig(config);
  // The raw target as typed: keep what URL parsing would have normalised away where possible.
  const rawTarget = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '') || '/';
  const headers = new Headers({ accept: 'text/html' });
  for (const h of args.flags.get('header') ?? []) {
    const colon = h.indexOf(':');
    if (colon < 1) throw new UsageError(`--header ${h}: write "Name: value"`);
    headers.set(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
  }
  const proto = url.protocol === 'https:' ? 'https' : 'http';
  const view: RequestView = {
    method: method.toUpperCase(),
    host: url.host,
    rawTarget,
    origin: config.publicUrl ? new URL(config.publicUrl).origin : `${proto}://${url.host}`,
    proto,
    headers,
    clientAddress: flag(args, 'ip'),
    country: flag(args, 'country')?.toUpperCase(),
    credentials: {
      bearer: identity?.authMethod === 'bearer' ? 'explain' : undefined,
      basic: identity?.authMethod === 'basic' ? 'Basic explain' : undefined,
      session: identity?.authMethod === 'session',
    },
    canRedirect: true,
  };
  let outcome = decide(view, compiled);
  if (outcome.kind === 'needs-credential') outcome = decide(view, compiled, { credential: outcome.credential, identity });

  out(`request   ${view.method} ${url.host}${rawTarget}`);
  out(`identity  ${identity ? describeIdentity(identity) : 'anonymous'}`);
  switch (outcome.kind) {
    case 'endpoint':
      out(`decision  RESERVED: ${outcome.path} is the gateway's own "${outcome.endpoint}" endpoint; answered by the gateway, never forwarded`);
      out(`answer    ${ENDPOINT_ANSWERS[outcome.endpoint]}`);
      return 0;
    case 'preflight':
      out(`decision  PREFLIGHT: a CORS preflight for app "${outcome.app.id}", answered by the gateway before any sign-in`);
      out(
        `answer    204${'access-control-allow-origin' in outcome.headers ? ` (Access-Control-Allow-Origin: ${outcome.headers['access-control-allow-origin']})` : ' without a CORS grant'}`,
      );
      return 0;
    case 'refused': {
      const { status, code } = outcome.refusal;
      out(`decision  DENY (${status} ${code}): ${code === 'no_app' ? `no app serves ${url.host}${outcome.path}` : outcome.reason}`);
      out(`answer    ${status} ${code}${outcome.allow ? ` (Allow: ${outcome.allow})` : ''}`);
      return 1;
    }
    case 'decided': {
      // With several realms, which app client's session (or bearer token) the app takes.
      const realm = config.realms.length > 1 ? config.realms.find((r) => r.name === config.appRealms[outcome.app.id]) : undefined;
      if (realm) out(`realm     ${realm.name} (app client ${realm.idp.clientId}; a session of another realm does not count here)`);
      out(formatTrace(outcome.decision));
      for (const gap of methodGaps(outcome.app)) {
        if (gap.methods.includes(view.method) && gap.fallsTo.name === outcome.decision.policy) out(`note      ${describeMethodGap(gap)}`);
      }
      out(`answer    ${describeAnswer(outcome)}`);
      return decisionExitCode(outcome.decision);
    }
    default:
      throw new Error('explain: the decision asked for a credential twice');
  }
}

/** What each endpoint answers (it depends on the request's own state, which explain does not have). */
const ENDPOINT_ANSWERS: Record<Endpoint, string> = {
  healthz: '200 ok (liveness)',
  readyz: '200 once the pool keys are fetched, 503 not_ready otherwise or while draining',
  login: '302 to the hosted UI (503 idp_unavailable when discovery fails)',
  callback: '302 to the return target with a new session, or 400 with the sign-in error',
  logout: '302 to the hosted-UI logout (cookies cleared)',
  me: '200 with the identity, or 401 unauthorized',
  jwks: '200 with the assertion keys',
  verify: 'the forward-auth answer for the request the proxy names (200, 302, 401, 403)',
  password: 'GET 200 { csrf }; POST 303/200 with a new session, 200 with the challenge step, or 401/403/429',
  'password-challenge': 'POST 303/200 with a new session or the next challenge step, or 400/401/403/429',
};

/** The status line the gateway would answer with (the upstream's own status when forwarded). */
export function describeAnswer(outcome: Extract<Outcome, { kind: 'decided' }>): string {
  switch (outcome.answer) {
    case 'allow':
    case 'bypass': {
      const names = Object.keys(outcome.upstream!.identityHeaders);
      if (outcome.upstream!.assertion) names.push(outcome.upstream!.assertion.header);
      const upstream = new URL(outcome.app.upstream);
      return `forward to ${upstream.origin}${outcome.path}${outcome.query} ${outcome.answer === 'allow' ? `with ${names.join(', ') || 'no identity headers'}` : 'without identity headers'}`;
    }
    case 'sign-in':
      return `302 to sign in, then back to ${outcome.returnTo}`;
    default: {
      const r = outcome.refusal!;
      return `${r.status} ${r.code}${r.wwwAuthenticate ? ` (WWW-Authenticate: ${r.wwwAuthenticate})` : ''}`;
    }
  }
}

function describeIdentity(id: Identity): string {
  const parts = [
    id.username ? `user=${id.username}` : `sub=${id.sub}`,
    id.email ? `email=${id.email}${id.emailVerified ? '' : ' (unverified)'}` : '',
    id.groups.length ? `groups=${id.groups.join(',')}` : '',
    id.scopes.length ? `scopes=${id.scopes.join(' ')}` : '',
    id.clientId ? `client=${id.clientId}` : '',
    `via ${id.authMethod}`,
  ];
  return parts.filter(Boolean).join('  ');
}
