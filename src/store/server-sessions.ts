/**
 * Server-side sessions (`session.storage: store`): the cookie carries only the sealed session id;
 * the session itself (claims, refresh and access tokens) lives in the store, encrypted with AES-GCM
 * under a key derived from the cookie secret and the session id, so neither a stolen store dump nor a
 * stolen cookie secret alone reads tokens. Cookies stay one small chunk whatever the groups and token
 * sizes (oauth2-proxy's Redis session store is the model). Wraps the cookie session store; the
 * interface is the same, so the request core does not change.
 */
import type { SessionStore } from '../session';
import { storeKeys } from './keys';
import { keyFromSecret, openText, sealText } from './seal';
import type { SharedStore } from './types';

/** The cookie session store this wraps, and the interface it keeps (src/session's SessionStore<T>). */
export type CookieSessions<T> = SessionStore<T>;

/** What the cookie holds with server-side sessions. */
export interface SessionRef {
  v: 1;
  ref: string;
}

export interface ServerSessionOptions {
  /** Cookie secrets, newest first (the record key derives from the newest; every one opens). */
  secrets: string[];
  /** How long a record lives (the longest absolute lifetime), seconds. */
  ttlSeconds: number;
}

const keyFor = (secret: string, ref: string) => keyFromSecret(`cognito-gateway session record\u0000${secret}\u0000${ref}`);

export function serverSideSessions<T extends { sid: string }>(
  cookies: CookieSessions<SessionRef>,
  store: SharedStore,
  opts: ServerSessionOptions,
): CookieSessions<T> & { remove(sid: string): Promise<void> } {
  const recordKey = (ref: string) => storeKeys.cache('session', ref);
  const read: CookieSessions<T>['read'] = async (cookieHeader, requestOrigin) => {
    const pointer = await cookies.read(cookieHeader, requestOrigin);
    if (pointer?.v !== 1 || typeof pointer.ref !== 'string') return undefined;
    // A store that cannot answer throws (StoreUnavailableError): the caller answers 503, not "signed out".
    const text = await store.get(await recordKey(pointer.ref));
    if (!text) return undefined;
    for (const secret of opts.secrets) {
      try {
        const session = JSON.parse(await openText(await keyFor(secret, pointer.ref), text)) as T;
        return session.sid === pointer.ref ? session : undefined;
      } catch {
        // Sealed under another (older) secret: try the next.
      }
    }
    return undefined;
  };
  return {
    read,
    // The record is the whole session (the cookie's cache holds only the pointer).
    readWhole: read,
    async write(data, cookieHeader, requestOrigin) {
      const sealed = await sealText(await keyFor(opts.secrets[0]!, data.sid), JSON.stringify(data));
      await store.set(await recordKey(data.sid), sealed, opts.ttlSeconds * 1000);
      return cookies.write({ v: 1, ref: data.sid }, cookieHeader, requestOrigin);
    },
    async remove(sid) {
      await store.delete(await recordKey(sid));
    },
    clear: (h, o) => cookies.clear(h, o),
    clearSession: (h, o) => cookies.clearSession(h, o),
    cookieNames: (h) => cookies.cookieNames(h),
    isGatewayCookie: (n) => cookies.isGatewayCookie(n),
    cacheStats: () => cookies.cacheStats(),
  };
}
