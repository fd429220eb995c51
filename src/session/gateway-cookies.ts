import { serializeSetCookie } from './cookie-header';
import type { SameSite } from './cookie-header';
import type { CookieScope } from './cookie-settings';

/** Set-Cookie for one of the gateway's cookies: always HttpOnly and Path=/. */
export function gatewaySetCookie(name: string, value: string, maxAgeSeconds: number, scope: CookieScope, sameSite: SameSite = scope.sameSite): string {
  return serializeSetCookie(name, value, {
    maxAgeSeconds,
    path: '/',
    ...(scope.domain === undefined ? {} : { domain: scope.domain }),
    secure: scope.secure,
    httpOnly: true,
    sameSite,
  });
}

/**
 * Set-Cookie that deletes `name`. The attributes follow the name, not the current scope, because a
 * browser only accepts a `__Host-`/`__Secure-` cookie (deletions included) with Secure, and a
 * `__Host-` one only without Domain.
 */
export function gatewayDeleteCookie(name: string, scope: CookieScope): string {
  const lower = name.toLowerCase();
  const hostPrefixed = lower.startsWith('__host-');
  const securePrefixed = hostPrefixed || lower.startsWith('__secure-');
  return serializeSetCookie(name, '', {
    maxAgeSeconds: 0,
    path: '/',
    ...(hostPrefixed || scope.domain === undefined ? {} : { domain: scope.domain }),
    secure: securePrefixed || scope.secure,
    httpOnly: true,
    // Lax rather than the configured value: SameSite=None without Secure would make the browser ignore the deletion.
    sameSite: 'lax',
  });
}
