/**
 * Identity headers a client might forge, in the spellings upstreams fold together (`_` for `-`,
 * any case): none of them may ever reach an upstream from the client.
 */
export const SPOOFED_IDENTITY_HEADERS: Record<string, string> = {
  'X-Auth-User': 'mallory',
  'x-auth-groups': 'admins',
  X_Auth_Email: 'mallory@evil.example',
  'X-Auth_User': 'mallory',
  'X-Auth-Assertion': 'eyJforged',
  'X-Forwarded-User': 'mallory',
  X_Forwarded_Email: 'mallory@evil.example',
  'X-Forwarded-Groups': 'admins',
  'Remote-User': 'mallory',
  Remote_Groups: 'admins',
  'X-Amzn-Oidc-Identity': 'mallory',
  'X-Auth-Request-User': 'mallory',
  // Method overrides: the upstream would act on a method the policy never saw.
  'X-HTTP-Method-Override': 'DELETE',
  'X-Method-Override': 'DELETE',
  'X-HTTP-Method': 'DELETE',
  // Other products' identity headers.
  'X-Remote-User': 'mallory',
  'X-WebAuth-User': 'mallory',
  'Cf-Access-Authenticated-User-Email': 'mallory@evil.example',
  'X-Goog-Authenticated-User-Email': 'accounts.google.com:mallory@evil.example',
  'X-Ms-Client-Principal-Name': 'mallory',
  'X-Pomerium-Claim-Email': 'mallory@evil.example',
  'X-Vouch-User': 'mallory',
  'X-Authenticated-User': 'mallory',
  'X-Consumer-Username': 'mallory',
  'X-User': 'mallory',
  'X-Email': 'mallory@evil.example',
  'X-Groups': 'admins',
  OIDC_CLAIM_email: 'mallory@evil.example',
};
