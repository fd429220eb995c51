/** Public surface of the session area: sealed session cookies, login-state cookies, cookie config, crypto helpers. */
export { createSessionStore, SessionTooLargeError, SESSION_PURPOSE } from './store';
export type { SessionCacheStats, SessionCacheView, SessionRejection, SessionStore, SessionStoreOptions } from './store';
export { createLoginStateStore, LoginStateTooLargeError, LOGIN_PURPOSE } from './login-state';
export type { ConsumedLoginState, LoginStateOptions, LoginStateStore } from './login-state';
export {
  assertCookieSettings,
  cookieConfigSchema,
  cookieSettingsProblems,
  DEFAULT_COOKIE_SETTINGS,
  isPlainHttpLoopback,
  resolveCookieScope,
} from './cookie-settings';
export type { CookieScope, CookieSettings } from './cookie-settings';
export { cookiePairsOf, firstCookie, parseCookieHeader, serializeSetCookie } from './cookie-header';
export type { CookiePair, SameSite, SetCookieAttributes } from './cookie-header';
export { isGatewayCookieName } from './names';
export { base64url, constantTimeEqual, randomToken, sha256Base64url } from './crypto';
export { assertSecrets, MIN_SECRET_LENGTH } from './seal';
