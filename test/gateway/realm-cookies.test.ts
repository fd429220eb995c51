/**
 * everyRealmsCookies: the union of every realm's cookie names for a Cookie header, in header order,
 * remembered for the same header, recomputed for another.
 */
import { describe, expect, it } from 'vitest';
import { everyRealmsCookies } from '../../src/gateway/realms';
import type { SessionData } from '../../src/oidc/session-data';
import { createSessionStore } from '../../src/session';
import { cookieConfigSchema } from '../../src/session/cookie-settings';

const SECRET = `${'c'.repeat(16)}secret-number-three-0123456789`;
const storeFor = (namePrefix: string) =>
  createSessionStore<SessionData>({ cookie: cookieConfigSchema.parse({ namePrefix }), secrets: [SECRET], maxAgeSeconds: 3600 });

describe('every realm’s cookie names', () => {
  it('is the union for each header, also when headers alternate', () => {
    const all = everyRealmsCookies(storeFor('gw'), [storeFor('gw-merchant')]);
    const buyer = 'gw_session=a; x=1';
    const both = 'gw_session=a; gw-merchant_session=b';
    const merchant = 'gw-merchant_session_0=b; gw-merchant_session_1=c';
    expect(all.cookieNames(buyer)).toEqual(['gw_session']);
    expect(all.cookieNames(both)).toEqual(['gw_session', 'gw-merchant_session']);
    expect(all.cookieNames(merchant)).toEqual(['gw-merchant_session_0', 'gw-merchant_session_1']);
    expect(all.cookieNames(buyer)).toEqual(['gw_session']);
    expect(all.cookieNames('theme=dark')).toEqual([]);
    expect(all.cookieNames('gw-merchant_session=b; theme=dark; gw_session=a; gw_session=c')).toEqual(['gw-merchant_session', 'gw_session']);
    expect(all.isGatewayCookie('gw-merchant_login_abc_def')).toBe(true);
  });
});
