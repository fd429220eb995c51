/**
 * The gateway's view of a session in the opened-session cache (src/oidc/session-data.ts): without the
 * refresh token, marked so; completed again from the whole session; the session state of a view is
 * the state of the whole session.
 */
import { describe, expect, it } from 'vitest';
import { sessionCacheView, sessionState, type SessionData } from '../../src/oidc/session-data';

const whole: SessionData = {
  v: 1,
  sid: 's1',
  claims: { sub: 'u1', 'cognito:username': 'alice' },
  refreshToken: 'r'.repeat(1800),
  tokensExpireAt: 2_000,
  createdAt: 1_000,
  validatedAt: 1_000,
  lastSeenAt: 1_000,
};
const limits = { absoluteLifetime: 43_200, idleTimeout: 3_600, revalidateAfter: 300 };

describe('sessionCacheView', () => {
  it('leaves the refresh token out, in its place a mark, the other fields the same objects in the same order', () => {
    const view = sessionCacheView.of(whole);
    expect(Object.keys(view)).toEqual(['v', 'sid', 'claims', 'refreshTokenWithheld', 'tokensExpireAt', 'createdAt', 'validatedAt', 'lastSeenAt']);
    expect(view.refreshToken).toBeUndefined();
    expect(view.claims).toBe(whole.claims);
    expect(sessionCacheView.isPartial(view)).toBe(true);
    expect(sessionCacheView.isPartial(whole)).toBe(false);
  });

  it('is the session itself when there is no refresh token', () => {
    const { refreshToken: _, ...none } = whole;
    expect(sessionCacheView.of(none)).toBe(none);
    expect(sessionCacheView.isPartial(none)).toBe(false);
  });

  it('completes a changed view with the refresh token of the whole session, as sealed before', () => {
    const changed = { ...sessionCacheView.of(whole), lastSeenAt: 1_060 };
    const completed = sessionCacheView.complete(changed, whole);
    expect(completed).toEqual({ ...whole, lastSeenAt: 1_060 });
    expect(Object.keys(completed)).toEqual(Object.keys(whole));
    expect(JSON.stringify(completed)).toBe(JSON.stringify({ ...whole, lastSeenAt: 1_060 }));
  });

  it('is completed only from the same session', () => {
    expect(() => sessionCacheView.complete(sessionCacheView.of(whole), { ...whole, sid: 's2' })).toThrow(/another session/);
  });

  it('has the state of the whole session at every moment', () => {
    const view = sessionCacheView.of(whole);
    const { refreshToken: _, ...none } = whole;
    for (const at of [1_000, 1_299, 1_300, 1_969, 1_970, 4_599, 4_600, 44_200]) {
      expect(sessionState(view, limits, at)).toBe(sessionState(whole, limits, at));
    }
    expect(sessionState(view, limits, 1_300)).toBe('needs-refresh');
    expect(sessionState(view, limits, 1_970)).toBe('needs-refresh');
    expect(sessionState(none, limits, 1_970)).toBe('expired');
  });
});
