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

/** Selectors that need to know who the caller is (everything except everyone, ip_ranges, countries). */
export const IDENTITY_SELECTORS: ReadonlySet<SelectorName> = new Set<SelectorName>([
  'authenticated',
  'users',
  'emails',
  'email_domains',
  'groups',
  'identity_providers',
  'claims',
  'scopes',
  'clients',
  'auth_methods',
]);

export const ACTIONS = ['allow', 'block', 'bypass', 'service'] as const;
export type PolicyAction = (typeof ACTIONS)[number];
export const AUTH_METHODS = ['session', 'bearer', 'basic'] as const;
export type AuthMethodName = (typeof AUTH_METHODS)[number];
