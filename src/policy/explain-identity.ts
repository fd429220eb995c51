/**
 * Builds an Identity from `explain` command-line options, through the same claim mapping as real tokens.
 */
import { identityFromClaims, type AuthMethod, type Identity } from '../identity';

export interface ExplainIdentityArgs {
  user?: string;
  /** List or comma-separated text. */
  groups?: string | readonly string[];
  email?: string;
  /** Defaults to true: `--email` states the address the user proved. */
  emailVerified?: boolean;
  /** Extra claims (e.g. `custom:tenant`, `identities`); they override the derived ones. */
  claims?: Record<string, unknown>;
  /** List or space/comma-separated text. */
  scopes?: string | readonly string[];
  clientId?: string;
  /** Defaults to bearer for a client without a user (a machine), else session. */
  authMethod?: AuthMethod;
}

const splitList = (v: string | readonly string[] | undefined, sep: RegExp): string[] =>
  v === undefined ? [] : (typeof v === 'string' ? v.split(sep) : [...v]).map((s) => s.trim()).filter(Boolean);

export function identityFromExplainArgs(args: ExplainIdentityArgs): Identity {
  const authMethod: AuthMethod = args.authMethod ?? (!args.user && args.clientId ? 'bearer' : 'session');
  const groups = splitList(args.groups, /,/);
  const scopes = splitList(args.scopes, /[\s,]+/);
  const claims: Record<string, unknown> = {
    sub: args.user ?? args.clientId ?? 'anonymous',
    iss: 'explain',
    token_use: authMethod === 'bearer' ? 'access' : 'id',
    ...(args.user ? { 'cognito:username': args.user } : {}),
    ...(groups.length ? { 'cognito:groups': groups } : {}),
    ...(args.email ? { email: args.email, email_verified: args.emailVerified ?? true } : {}),
    ...(scopes.length ? { scope: scopes.join(' ') } : {}),
    ...(args.clientId ? { client_id: args.clientId } : {}),
    ...args.claims,
  };
  return identityFromClaims(claims, authMethod);
}
