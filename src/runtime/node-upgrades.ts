/**
 * Open upgraded connections (WebSocket and any other Upgrade) by what the revocation list names
 * their credentials by (src/store/revocation.ts: the session id, the sign-in's token family, the
 * user's not-before time). A revocation this instance records or hears of from another instance
 * (RuntimeDeps.onRevocation, fed by the store's change notices) checks the connections its keys
 * name again, and those the check now refuses are closed (a WebSocket with a 1008 close frame when
 * the gateway is between two of the upstream's frames, ./ws-frames.ts; else both sockets are
 * destroyed). Revocations no notice tells of (a lost notice, a key written by hand) are found by
 * the periodic re-check of every open connection. A store that cannot answer closes nothing (the connection was allowed; its
 * absolute lifetime still ends it).
 */
import type { Logger } from '../log';
import type { CredentialsRevocation } from '../proxy';
import { revocationKeys, type RevocationVerdict } from '../store/revocation';

/** How often every open upgraded connection is checked again when no notice said anything (ms). */
export const UPGRADE_RECHECK_MS = 30_000;

/**
 * Most revocation checks one round has in flight at once (a store call each: with Redis one MGET
 * of the connection's two or three keys). 10,000 open connections are 10,000 calls every 30 s,
 * 32 at a time, rather than 10,000 queued on the store's connection at once.
 */
export const RECHECK_CONCURRENCY = 32;

export interface UpgradeLink {
  /** Ends the connection on both sides. */
  destroy(): void;
  /** Ends it for a revocation (a WebSocket gets a 1008 close frame when it can); default destroy. */
  revoke?(): void;
}

export interface UpgradeRegistry {
  /** An upgraded connection, open now; the function returned forgets it (call it when it closes). */
  add(link: UpgradeLink, credentials: CredentialsRevocation): () => void;
  /** Store keys a revocation changed: the connections they name are checked again. */
  changed(keys: readonly string[]): void;
  /** Checks every open connection again; resolves with how many were closed. */
  recheckAll(): Promise<number>;
  /** Connections registered now. */
  readonly size: number;
  close(): void;
}

interface Entry {
  link: UpgradeLink;
  credentials: CredentialsRevocation;
  keys: readonly string[];
  gone: boolean;
  /** Ended for a revocation: its sockets are closing (it is forgotten once they have). */
  revoked: boolean;
  /** A check is under way; `again`: a notice arrived meanwhile, so check once more after it. */
  checking: boolean;
  again: boolean;
}

export function createUpgradeRegistry(opts: {
  check: (q: CredentialsRevocation) => Promise<RevocationVerdict>;
  log: Logger;
  recheckMs?: number;
}): UpgradeRegistry {
  const recheckMs = opts.recheckMs ?? UPGRADE_RECHECK_MS;
  const entries = new Set<Entry>();
  const byKey = new Map<string, Set<Entry>>();
  let timer: NodeJS.Timeout | undefined;

  /** Resolves true when the check refused the credentials and the connection was closed. */
  const checkOne = async (e: Entry): Promise<boolean> => {
    if (e.revoked) return false;
    if (e.checking) {
      e.again = true;
      return false;
    }
    e.checking = true;
    try {
      do {
        e.again = false;
        let verdict: RevocationVerdict;
        try {
          verdict = await opts.check(e.credentials);
        } catch {
          verdict = 'unavailable';
        }
        if (e.gone || e.revoked) return false;
        if (verdict === 'revoked') {
          e.revoked = true;
          // A close frame that cannot be written (a socket in a state nobody foresaw) must not
          // become an unhandled rejection, which would end the process: the cut then.
          try {
            if (e.link.revoke) e.link.revoke();
            else e.link.destroy();
          } catch {
            e.link.destroy();
          }
          return true;
        }
      } while (e.again);
      return false;
    } finally {
      e.checking = false;
    }
  };

  const checkSome = async (list: Iterable<Entry>, why: string): Promise<number> => {
    // In slices: a round over many connections is spread over the store, not one burst of calls.
    const all = [...list];
    let count = 0;
    for (let i = 0; i < all.length; i += RECHECK_CONCURRENCY) {
      const results = await Promise.all(all.slice(i, i + RECHECK_CONCURRENCY).map(checkOne));
      for (const closed of results) if (closed) count++;
    }
    if (count > 0) opts.log.info('upgraded connections closed: credentials revoked', { count, trigger: why });
    return count;
  };

  const index = (e: Entry) => {
    for (const k of e.keys) {
      const set = byKey.get(k);
      if (set) set.add(e);
      else byKey.set(k, new Set([e]));
    }
  };

  return {
    add(link, credentials) {
      const e: Entry = { link, credentials, keys: [], gone: false, revoked: false, checking: false, again: false };
      entries.add(e);
      void revocationKeys(credentials).then((keys) => {
        if (e.gone) return;
        e.keys = keys;
        index(e);
        // A revocation since the request's own check (a sign-out while the upstream was still
        // accepting the upgrade, or a notice before these keys were indexed) named no connection:
        // one check now, or it would stay open until the periodic re-check.
        void checkSome([e], 'opened');
      });
      if (!timer) {
        timer = setInterval(() => void checkSome(entries, 'periodic'), recheckMs);
        timer.unref();
      }
      return () => {
        if (e.gone) return;
        e.gone = true;
        entries.delete(e);
        for (const k of e.keys) {
          const set = byKey.get(k);
          set?.delete(e);
          if (set?.size === 0) byKey.delete(k);
        }
        if (entries.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    changed(keys) {
      const named = new Set<Entry>();
      for (const k of keys) for (const e of byKey.get(k) ?? []) named.add(e);
      if (named.size > 0) void checkSome(named, 'revocation');
    },
    recheckAll: () => checkSome(entries, 'periodic'),
    get size() {
      return entries.size;
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
