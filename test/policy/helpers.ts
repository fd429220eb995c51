/**
 * Helpers for the policy tests: compiling apps (throws on invalid ones), identities of the demo
 * users and a machine client, and a seeded PRNG for the fuzz test.
 */
import { identityFromClaims, type AuthMethod, type Identity } from '../../src/identity';
import { decide as decideView, type CompiledGateway, type Outcome, type RequestView } from '../../src/gateway/decide';
import { appsSchema, compileApps, type AppInput, type CompiledApp } from '../../src/policy';

/** Parses apps through the real schema (defaults, validation) and compiles them. */
export function compile(apps: AppInput[]): CompiledApp[] {
  return compileApps(appsSchema.parse(apps));
}

/** One app with the given policies, any host, prefix /. */
export function appWith(policies: AppInput['policies'], extra: Partial<AppInput> = {}): CompiledApp {
  return compile([{ id: 'app', name: 'App', upstream: 'http://127.0.0.1:9000', policies, ...extra }])[0]!;
}

export function user(claims: Record<string, unknown>, authMethod: AuthMethod = 'session'): Identity {
  return identityFromClaims({ sub: `sub-${String(claims['cognito:username'] ?? 'x')}`, token_use: 'id', ...claims }, authMethod);
}

export const alice = user({
  'cognito:username': 'alice',
  'cognito:groups': ['admins', 'staff'],
  email: 'alice@example.com',
  email_verified: true,
});
export const bob = user({ 'cognito:username': 'bob', 'cognito:groups': ['staff'], email: 'bob@example.com', email_verified: true });
export const carol = user({
  'cognito:username': 'carol',
  email: 'carol@partner.example',
  email_verified: true,
  'custom:tenant': 'acme',
});
export const machine = identityFromClaims(
  { sub: 'demo-machine', client_id: 'demo-machine', token_use: 'access', scope: 'demo-api/read demo-api/write' },
  'bearer',
);
export const machineWith = (scope: string) => identityFromClaims({ sub: 'demo-machine', client_id: 'demo-machine', token_use: 'access', scope }, 'bearer');

/** A deterministic PRNG (mulberry32) for property tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Decides a request the way the gateway does (src/gateway/decide.ts): anonymously first, then with
 * the identity when the decision asks for a credential (handing it the first outcome, as
 * src/gateway/handle.ts does). The identity's auth method says which credential the request carries.
 */
export function decideAs(
  compiled: CompiledGateway,
  request: { method: string; host: string; rawTarget: string; clientAddress?: string; country?: string; accept?: string },
  identity?: Identity,
): Outcome {
  const view: RequestView = {
    method: request.method,
    host: request.host,
    rawTarget: request.rawTarget,
    origin: `http://${request.host}`,
    proto: 'http',
    headers: new Headers({ accept: request.accept ?? 'text/html' }),
    clientAddress: request.clientAddress,
    country: request.country,
    credentials: {
      bearer: identity?.authMethod === 'bearer' ? 'token' : undefined,
      basic: identity?.authMethod === 'basic' ? 'Basic x' : undefined,
      session: identity?.authMethod === 'session',
    },
    canRedirect: true,
  };
  const first = decideView(view, compiled);
  return first.kind === 'needs-credential' ? decideView(view, compiled, { credential: first.credential, identity }, first) : first;
}
