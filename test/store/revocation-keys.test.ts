/**
 * The revocation list remembers the store keys of recent checks (sub, sid, origin jti): a check after
 * a revocation of the same session, token family or user still refuses, and checks of other sessions
 * of the same user are not confused with it.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, createRevocationList } from '../../src/store';

describe('revocation checks with remembered keys', () => {
  it('a session checked before is refused once revoked; its other sessions are not', async () => {
    const list = createRevocationList({ local: createMemoryStore(), onError: 'closed' });
    const until = Math.floor(Date.now() / 1000) + 3600;
    const a = { sub: 'rk-user', sid: 'sid-a', originJti: 'jti-a', issuedAt: 100 };
    const b = { sub: 'rk-user', sid: 'sid-b', originJti: 'jti-b', issuedAt: 100 };
    expect([await list.check(a), await list.check(b), await list.check(a)]).toEqual(['ok', 'ok', 'ok']);
    await list.revoke({ sub: 'rk-user', sid: 'sid-a', sessionUntilSec: until, originUntilSec: until });
    expect([await list.check(a), await list.check(b)]).toEqual(['revoked', 'ok']);
    // The same token family under a bearer token (no sid) and the family's revocation.
    const bearer = { sub: 'rk-user', originJti: 'jti-b', issuedAt: 100 };
    expect(await list.check(bearer)).toBe('ok');
    await list.revoke({ sub: 'rk-user', originJti: 'jti-b', sessionUntilSec: until, originUntilSec: until });
    expect([await list.check(bearer), await list.check(b)]).toEqual(['revoked', 'revoked']);
    // Parts that would run together as text stay apart.
    const c = { sub: 'rk-user2', sid: 'x', originJti: 'y', issuedAt: 100 };
    const d = { sub: 'rk-user2', sid: 'xy', issuedAt: 100 };
    expect(await list.check(c)).toBe('ok');
    await list.revoke({ sub: 'rk-user2', sid: 'xy', sessionUntilSec: until, originUntilSec: until });
    expect([await list.check(d), await list.check(c)]).toEqual(['revoked', 'ok']);
  });

  it('the user not-before time refuses what was issued before it, checked before or not', async () => {
    const list = createRevocationList({ local: createMemoryStore(), onError: 'closed' });
    const q = { sub: 'rk-nbf', sid: 's', issuedAt: 1000 };
    expect(await list.check(q)).toBe('ok');
    await list.revokeUserBefore('rk-nbf', 1000, 3600);
    expect([await list.check(q), await list.check({ ...q, sid: 'later', issuedAt: 1001 })]).toEqual(['revoked', 'ok']);
  });

  it('one remembered entry per session: another user, token family or kind of check with the same id is its own', async () => {
    const list = createRevocationList({ local: createMemoryStore(), onError: 'closed' });
    const until = Math.floor(Date.now() / 1000) + 3600;
    const a = { sub: 'rk-a', sid: 'same', originJti: 'jti-1', issuedAt: 100 };
    const b = { sub: 'rk-b', sid: 'same', originJti: 'jti-1', issuedAt: 100 };
    const aOtherFamily = { sub: 'rk-a', sid: 'same', originJti: 'jti-2', issuedAt: 100 };
    // A bearer token whose family id is spelled like the session id, and a check with neither.
    const bearer = { sub: 'rk-a', originJti: 'same', issuedAt: 100 };
    const userOnly = { sub: 'same', issuedAt: 100 };
    expect(await Promise.all([a, b, aOtherFamily, bearer, userOnly].map((q) => list.check(q)))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    await list.revoke({ sub: 'rk-b', sid: 'same', sessionUntilSec: until, originUntilSec: until });
    expect([await list.check(a), await list.check(b), await list.check(bearer), await list.check(userOnly)]).toEqual(['ok', 'revoked', 'ok', 'ok']);
    await list.revoke({ sub: 'rk-a', originJti: 'jti-2', sessionUntilSec: until, originUntilSec: until });
    expect([await list.check(a), await list.check(aOtherFamily), await list.check(a)]).toEqual(['ok', 'revoked', 'ok']);
    await list.revokeUserBefore('same', 100, 3600);
    expect([await list.check(userOnly), await list.check(a)]).toEqual(['revoked', 'ok']);
  });
});
