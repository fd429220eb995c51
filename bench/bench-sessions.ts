/**
 * The session cookies the bench's rows send (bench/run.ts, bench/alloc-per-request.ts,
 * bench/session-cache-memory.ts): alice signs in once through the gateway at the emulator, and
 * copies of her session are sealed with config/demo.yaml's secrets, as the gateway seals them.
 * wrk never stores a re-sealed cookie, so a session due for a write-back (last seen > 60 s ago) or a
 * revalidation (> revalidateAfter) would stay due for the whole run: the steady-state cookies are
 * neither, and the stale one is due for a write-back on every request.
 */
import { readFileSync } from 'node:fs';
import { loadConfig, type Env, type ResolvedConfig } from '../src/config/load';
import type { SessionData } from '../src/oidc/session-data';
import { createSessionStore } from '../src/session';
import { TestBrowser } from '../test/helpers/browser';

export interface BenchSessions {
  config: ResolvedConfig;
  /** The signed-in session the copies are made of (not due for a revalidation). */
  session: SessionData;
  /** A Cookie header with one session, due for nothing. */
  cookie: string;
  /** A Cookie header whose session is due for a write-back on every request. */
  stale(): Promise<string>;
  /** Cookie headers of `n` sessions of alice's with distinct sids, due for nothing. */
  distinct(n: number): Promise<string[]>;
}

export async function mintBenchSessions(gatewayUrl: string, env: Env): Promise<BenchSessions> {
  const b = new TestBrowser();
  await b.signIn(`${gatewayUrl}/`, 'alice', 'Alice-Passw0rd!');
  const config = loadConfig(readFileSync(new URL('../config/demo.yaml', import.meta.url), 'utf8'), env);
  const store = createSessionStore<SessionData>({
    cookie: config.cookies,
    secrets: config.session.secrets,
    maxAgeSeconds: config.session.absoluteLifetime,
    maxChunks: 4,
  });
  const signedIn = (await store.read(b.cookieHeader(gatewayUrl)!, gatewayUrl))!;
  const nowSec = Math.floor(Date.now() / 1000);
  const session = { ...signedIn, validatedAt: nowSec + 3600 };
  const seal = async (s: SessionData) => cookieHeaderFrom(await store.write(s, null, gatewayUrl));
  return {
    config,
    session,
    cookie: await seal({ ...session, lastSeenAt: nowSec + 3600 }),
    stale: () => seal({ ...session, lastSeenAt: nowSec - 120 }),
    async distinct(n) {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(await seal({ ...session, sid: `${session.sid}-${i}`, lastSeenAt: nowSec + 3600 }));
      return out;
    },
  };
}

/** The Cookie header a client sends back after these Set-Cookie lines (deletions left out). */
export function cookieHeaderFrom(setCookies: string[]): string {
  return setCookies
    .map((c) => c.split(';')[0]!)
    .filter((p) => !p.endsWith('='))
    .join('; ');
}
