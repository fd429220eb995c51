/**
 * `cognito-gateway explain`: shows, before deploying, how the config decides one request for one
 * identity. Exit 0 for allow/bypass, 1 for deny/authenticate, 2 for usage or config errors, so
 * operators can keep policy expectations in CI.
 */
import { decodeJwt } from 'jose';
import type { ResolvedConfig } from '../config/load';
import type { AuthMethod, Identity } from '../identity';
import { identityFromClaims } from '../identity';
import { compileApps, decideRequest, decisionExitCode, formatTrace, identityFromExplainArgs } from '../policy';
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
  --ip ADDR              client address            --country CC        CF-IPCountry (Workers)`;

/** What `explain` accepts (see EXPLAIN_USAGE); anything else is refused with exit 2. */
export const EXPLAIN_FLAGS = {
  values: ['config', 'user', 'groups', 'email', 'claim', 'scopes', 'client', 'auth', 'token', 'ip', 'country'],
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
  const apps = compileApps(config.apps);
  // The raw target as typed: keep what URL parsing would have normalised away where possible.
  const rawPath = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '') || '/';
  const outcome = decideRequest(apps, {
    method: method.toUpperCase(),
    host: url.host,
    rawPath,
    clientAddress: flag(args, 'ip'),
    country: flag(args, 'country')?.toUpperCase(),
  }, identity);

  out(`request   ${method.toUpperCase()} ${url.host}${rawPath}`);
  out(`identity  ${identity ? describeIdentity(identity) : 'anonymous'}`);
  if (outcome.kind === 'bad-path') {
    out(`decision  DENY (400): ${outcome.reason}`);
    return 1;
  }
  if (outcome.kind === 'no-app') {
    out(`decision  DENY (${config.unmatched}): no app serves ${url.host}${outcome.path}`);
    return 1;
  }
  out(formatTrace(outcome.decision));
  return decisionExitCode(outcome.decision);
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
