/**
 * A session store that opens the gateway's own session cookies: its config's cookie settings and
 * secrets, for tests that look inside a cookie the gateway wrote (which refresh token it holds,
 * which session id it names).
 */
import type { ResolvedConfig } from '../../src/config/load';
import type { SessionData } from '../../src/oidc/session-data';
import { createSessionStore, type SessionStore } from '../../src/session';

export function gatewaySessions(config: Pick<ResolvedConfig, 'cookies' | 'session'>): SessionStore<SessionData> {
  return createSessionStore<SessionData>({
    cookie: config.cookies,
    secrets: config.session.secrets,
    maxAgeSeconds: config.session.absoluteLifetime,
    maxChunks: 4,
  });
}
