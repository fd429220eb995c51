import { flatCopy } from '../memo';
import { storeKeys } from './keys';
import { StoreUnavailableError, type SharedStore } from './types';

/**
 * The store keys one check reads: the session's, the token family's, then the user's not-before
 * time. A change notice naming one of them may change the verdict (the Node runtime matches open
 * upgraded connections against them).
 */
export async function revocationKeys(q: RevocationQuery): Promise<readonly string[]> {
  const keys: string[] = [];
  if (q.sid) keys.push(await storeKeys.revokedSession(q.sub, q.sid));
  if (q.originJti) keys.push(await storeKeys.revokedOrigin(q.sub, q.originJti));
  keys.push(await storeKeys.notBefore(q.sub));
  return Object.freeze(keys);
}

/**
 * The keys of recent checks (a session is checked on every request; deriving them may hash). The
 * keys are a function of sub, sid and origin jti alone, so those three are the whole cache key
 * (an empty one derives no key, like an absent one). One entry per session (or token family, or
 * user, for checks without a sid), found by the most specific part and used only when the other
 * parts are the same, so no key string is built per look-up. An entry is ~250 bytes (the keys as
 * flat strings, not the trees of pieces a template makes, the user's not-before key shared by the
 * user's entries); one per active session. Bounded: cleared when full.
 */
class CheckKeys {
  private readonly bySid = new Map<string, CheckEntry>();
  private readonly byJti = new Map<string, CheckEntry>();
  private readonly bySub = new Map<string, CheckEntry>();
  // The user's not-before key, the last of every check's keys: one copy per user, not per session.
  private readonly notBeforeKeys = new Map<string, string>();
  private size = 0;
  constructor(private readonly max: number) {}
  private mapFor(sid: string, originJti: string): Map<string, CheckEntry> {
    return sid !== '' ? this.bySid : originJti !== '' ? this.byJti : this.bySub;
  }
  get(sub: string, sid: string | undefined, originJti: string | undefined): readonly string[] | undefined {
    const s = sid ?? '';
    const j = originJti ?? '';
    const e = this.mapFor(s, j).get(s !== '' ? s : j !== '' ? j : sub);
    return e !== undefined && e.sub === sub && e.sid === s && e.originJti === j ? e.keys : undefined;
  }
  set(sub: string, sid: string | undefined, originJti: string | undefined, keys: readonly string[]): readonly string[] {
    if (this.size >= this.max) {
      this.bySid.clear();
      this.byJti.clear();
      this.bySub.clear();
      this.notBeforeKeys.clear();
      this.size = 0;
    }
    const s = sid ?? '';
    const j = originJti ?? '';
    const map = this.mapFor(s, j);
    const key = s !== '' ? s : j !== '' ? j : sub;
    if (!map.has(key)) this.size++;
    const flat = keys.map(flatCopy);
    const last = flat.length - 1;
    const shared = this.notBeforeKeys.get(sub);
    if (shared !== undefined && shared === flat[last]) flat[last] = shared;
    else this.notBeforeKeys.set(sub, flat[last]!);
    Object.freeze(flat);
    map.set(key, { sub, sid: s, originJti: j, keys: flat });
    return flat;
  }
}
interface CheckEntry {
  sub: string;
  sid: string;
  originJti: string;
  keys: readonly string[];
}
const checkKeys = new CheckKeys(10_000);

export type FailMode = 'closed' | 'open';

/** How long an answer of the shared store is trusted while change notices are live (the "within 1 s" bound, with margin). */
export const KEPT_MS = 500;
const KEPT_MAX = 50_000;

export interface RevocationQuery {
  sub: string;
  /** The gateway session's id (cookies). */
  sid?: string;
  /** The token family (Cognito's `origin_jti`: one per sign-in, on every token minted from it). */
  originJti?: string;
  /** Seconds: when the session was created or the token issued (against the user's not-before). */
  issuedAt: number;
}

export type RevocationVerdict = 'ok' | 'revoked' | 'unavailable';

export interface RevocationList {
  /** Revokes a session and its token family until `untilSec`. False when the shared store could not record it (this instance still refuses it). */
  revoke(entry: { sub: string; sid?: string; originJti?: string; sessionUntilSec: number; originUntilSec: number }): Promise<boolean>;
  /** Every session and token of `sub` issued at or before `atSec` (whole seconds) is refused (sign-out everywhere, a disabled user). */
  revokeUserBefore(sub: string, atSec: number, ttlSeconds: number): Promise<boolean>;
  check(q: RevocationQuery): Promise<RevocationVerdict>;
}

/**
 * The revocation list. Every entry is written to this instance's memory as well as to the shared
 * store, so an instance always refuses what it revoked itself; other instances learn it from the
 * shared store on their next request. When the shared store cannot answer, `onError` decides:
 * `closed` refuses to vouch (503), `open` falls back to what this instance knows (and the bound of
 * session.revalidateAfter).
 */
export function createRevocationList(opts: {
  local: SharedStore;
  shared?: SharedStore;
  onError: FailMode;
  now?: () => number;
  /**
   * Told the keys of every revocation this instance records or hears of from other instances (the
   * change notices), once checks see it; the runtime closes open upgraded connections with it.
   */
  onChange?: (keys: readonly string[]) => void;
}): RevocationList {
  const now = opts.now ?? Date.now;
  const stores = opts.shared ? [opts.local, opts.shared] : [opts.local];

  // The shared store's answers, kept for at most KEPT_MS while its change notices are live: a
  // revocation on any instance removes them at once (the notice), and a lost notice cannot outlive
  // KEPT_MS. Without notices (Durable Objects, a broken subscription) every check reads the store.
  const notices = opts.shared?.invalidations;
  const kept = new Map<string, { value: string | undefined; at: number }>();
  let changes = 0;
  notices?.subscribe(
    (keys) => {
      changes++;
      for (const k of keys) kept.delete(k);
      opts.onChange?.(keys);
    },
    () => {
      changes++;
      kept.clear();
    },
  );
  const keptValues = (keys: readonly string[]): Array<string | undefined> | undefined => {
    if (!notices?.live) return undefined;
    const t = performance.now();
    const values: Array<string | undefined> = [];
    for (const k of keys) {
      const e = kept.get(k);
      if (!e || t - e.at >= KEPT_MS) return undefined;
      values.push(e.value);
    }
    return values;
  };
  const keep = (keys: readonly string[], values: Array<string | undefined>) => {
    if (kept.size >= KEPT_MAX) kept.clear();
    const at = performance.now();
    for (let i = 0; i < keys.length; i++) kept.set(keys[i]!, { value: values[i], at });
  };
  const announce = async (keys: string[]) => {
    changes++;
    for (const k of keys) kept.delete(k);
    opts.onChange?.(keys);
    await notices?.publish(keys).catch(() => {}); // unannounced, other instances still forget it within KEPT_MS
  };

  const write = async (run: (s: SharedStore) => Promise<void>) => {
    let ok = true;
    for (const s of stores) {
      try {
        await run(s);
      } catch (e) {
        if (!(e instanceof StoreUnavailableError)) throw e;
        ok = false;
      }
    }
    return ok;
  };

  // values: one flag per revocation key, then the user's not-before time (when withNbf).
  const verdict = (values: ReadonlyArray<string | undefined>, q: RevocationQuery, withNbf: boolean): RevocationVerdict => {
    const flags = withNbf ? values.length - 1 : values.length;
    for (let i = 0; i < flags; i++) if (values[i] !== undefined) return 'revoked';
    const nbf = withNbf ? Number(values[values.length - 1]) : Number.NaN;
    return Number.isFinite(nbf) && q.issuedAt <= nbf ? 'revoked' : 'ok';
  };

  return {
    async revoke(e) {
      const nowMs = now();
      const keys: Array<[string, number]> = [];
      if (e.sid) keys.push([await storeKeys.revokedSession(e.sub, e.sid), e.sessionUntilSec * 1000 - nowMs]);
      if (e.originJti) keys.push([await storeKeys.revokedOrigin(e.sub, e.originJti), e.originUntilSec * 1000 - nowMs]);
      const ok = await write(async (s) => {
        for (const [k, ttl] of keys) if (ttl > 0) await s.set(k, '1', ttl);
      });
      await announce(keys.map(([k]) => k));
      return ok;
    },
    async revokeUserBefore(sub, atSec, ttlSeconds) {
      const key = await storeKeys.notBefore(sub);
      // Only forward: a later write from an instance whose clock is behind must not revive sessions.
      const ok = await write(async (s) => {
        await s.setIfGreater(key, atSec, ttlSeconds * 1000);
      });
      await announce([key]);
      return ok;
    },
    async check(q) {
      const keys = checkKeys.get(q.sub, q.sid, q.originJti) ?? checkKeys.set(q.sub, q.sid, q.originJti, await revocationKeys(q));
      if (verdict(await opts.local.getMany(keys), q, true) === 'revoked') return 'revoked';
      if (!opts.shared) return 'ok';
      const known = keptValues(keys);
      if (known) return verdict(known, q, true);
      const seen = changes;
      const live = notices?.live === true;
      try {
        const values = await opts.shared.getMany(keys);
        // Kept only when no notice arrived while reading (it might be about these keys).
        if (live && notices?.live && seen === changes) keep(keys, values);
        return verdict(values, q, true);
      } catch (e) {
        if (!(e instanceof StoreUnavailableError)) throw e;
        return opts.onError === 'closed' ? 'unavailable' : 'ok';
      }
    },
  };
}
