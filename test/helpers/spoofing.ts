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
};
