/**
 * Key design. The `{…}` part is a Redis Cluster hash tag: keys read together share it, so one MGET
 * never crosses slots. Everything about one user (revoked sessions, revoked token families, the
 * user's not-before time) is tagged by the user's `sub`; rate-limit counters, locks and cache
 * entries each have their own tag. Values from outside (subs, usernames, addresses) that are not
 * plainly safe are hashed, so no input can spell a brace or grow a key without bound.
 */
const SAFE = /^[A-Za-z0-9._@:+=-]{1,128}$/;

async function tagOf(value: string): Promise<string> {
  if (SAFE.test(value)) return value;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)));
  let hex = '';
  for (const b of digest.subarray(0, 16)) hex += b.toString(16).padStart(2, '0');
  return `h.${hex}`;
}

export const storeKeys = {
  revokedSession: async (sub: string, sid: string) => `{u:${await tagOf(sub)}}:sid:${await tagOf(sid)}`,
  revokedOrigin: async (sub: string, originJti: string) => `{u:${await tagOf(sub)}}:jti:${await tagOf(originJti)}`,
  notBefore: async (sub: string) => `{u:${await tagOf(sub)}}:nbf`,
  counter: async (name: string, subject: string) => `{rl:${name}:${await tagOf(subject)}}`,
  lock: async (name: string, subject: string) => `{lk:${name}:${await tagOf(subject)}}:lock`,
  lockResult: async (name: string, subject: string) => `{lk:${name}:${await tagOf(subject)}}:result`,
  cache: async (name: string, subject: string) => `{c:${name}:${await tagOf(subject)}}`,
};
