/** Names shared by the schema, the validator and the evaluator. */
export const SELECTORS = [
  'everyone',
  'authenticated',
  'users',
  'emails',
  'email_domains',
  'groups',
  'identity_providers',
  'claims',
  'scopes',
  'clients',
  'ip_ranges',
  'countries',
  'auth_methods',
] as const;
export type SelectorName = (typeof SELECTORS)[number];

/** Selectors that read only the request's context, not who the caller is. */
const CONTEXT_SELECTORS: ReadonlySet<SelectorName> = new Set<SelectorName>(['everyone', 'ip_ranges', 'countries']);
/** Selectors that need to know who the caller is: every other one (a new selector counts as one until listed above). */
export const IDENTITY_SELECTORS: ReadonlySet<SelectorName> = new Set(SELECTORS.filter((s) => !CONTEXT_SELECTORS.has(s)));

export const ACTIONS = ['allow', 'block', 'bypass', 'service'] as const;
export type PolicyAction = (typeof ACTIONS)[number];
export const AUTH_METHODS = ['session', 'bearer', 'basic'] as const;
export type AuthMethodName = (typeof AUTH_METHODS)[number];
