import type { SessionData } from '../oidc/session-data';
import { SessionTooLargeError } from '../session';
import type { Gateway, RequestInfo } from './context';

/**
 * Writes the session cookies. Cookies are scarce (a user in many groups carries them in both tokens):
 * when the session would not fit, the access token (kept only for forwarding upstream) goes first.
 * If it still does not fit, SessionTooLargeError reaches the caller, which answers with a clear page.
 */
export async function writeSession(gw: Gateway, data: SessionData, info: RequestInfo): Promise<string[]> {
  try {
    return await gw.sessions.write(data, info.cookieHeader, info.origin);
  } catch (e) {
    if (!(e instanceof SessionTooLargeError) || !data.accessToken) throw e;
    info.log.warn('session too large with the access token: kept without it (not forwarded upstream)', { sid: data.sid });
    return gw.sessions.write({ ...data, accessToken: undefined }, info.cookieHeader, info.origin);
  }
}
