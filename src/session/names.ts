/**
 * Names of the gateway's own cookies. One place, so the session store, the login-state store and the
 * proxy (which strips them before forwarding) agree.
 *
 *   <base>_session                   whole session
 *   <base>_session_<n>               session chunk n (0-based)
 *   <base>_login_<base36 ms>_<state8> one pending sign-in attempt
 *
 * <base> is the configured prefix, or `__Host-<prefix>` when the host prefix applies.
 */

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiled patterns by source: the prefixes are few (one per config), the calls are per cookie per request. */
const compiled = new Map<string, RegExp>();
function pattern(source: string, flags = ''): RegExp {
  const key = `${flags}/${source}`;
  let re = compiled.get(key);
  if (!re) {
    re = new RegExp(source, flags);
    if (compiled.size < 256) compiled.set(key, re);
  }
  return re;
}

export function sessionCookieName(baseName: string): string {
  return `${baseName}_session`;
}

export function sessionChunkName(baseName: string, index: number): string {
  return `${baseName}_session_${index}`;
}

/** Chunk index of `name` for this base, or undefined when `name` is not a chunk name. */
export function sessionChunkIndex(baseName: string, name: string): number | undefined {
  const m = pattern(`^${escapeRegExp(baseName)}_session_(0|[1-9][0-9]{0,2})$`).exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Login-state names carry the creation time, so the oldest can be evicted without unsealing anything. */
export function loginCookieName(baseName: string, createdAtMs: number, state: string): string {
  return `${baseName}_login_${Math.max(0, Math.floor(createdAtMs)).toString(36)}_${state.slice(0, 8)}`;
}

export interface LoginCookieRef {
  name: string;
  createdAtMs: number;
  statePrefix: string;
}

export function parseLoginCookieName(baseName: string, name: string): LoginCookieRef | undefined {
  const m = pattern(`^${escapeRegExp(baseName)}_login_([0-9a-z]{1,11})_([A-Za-z0-9_-]{1,8})$`).exec(name);
  if (!m) return undefined;
  return { name, createdAtMs: parseInt(m[1]!, 36), statePrefix: m[2]! };
}

/**
 * Whether `name` belongs to the gateway under `namePrefix`, in any scope variant (`__Host-`, `__Secure-`
 * or none) and any case. Deliberately broad: it decides what is stripped before forwarding, and what
 * sign-out deletes.
 */
export function isGatewayCookieName(namePrefix: string, name: string): boolean {
  return pattern(`^(?:__host-|__secure-)?${escapeRegExp(namePrefix)}_(?:session|login)(?:_.*)?$`, 'i').test(name);
}

/** Whether `name` is a session cookie or chunk (not login state) under `namePrefix`, in any scope variant. */
export function isSessionCookieName(namePrefix: string, name: string): boolean {
  return pattern(`^(?:__host-|__secure-)?${escapeRegExp(namePrefix)}_session(?:_.*)?$`, 'i').test(name);
}
