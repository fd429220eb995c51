import * as z from 'zod';
import type { SameSite } from './cookie-header';

/** How the gateway names and scopes its cookies (root config key `cookies`). */
export interface CookieSettings {
  /** Session cookie `<prefix>_session`, chunks `<prefix>_session_0`, `_1`…, login state `<prefix>_login_…`. */
  namePrefix: string;
  /** Domain attribute; absent = host-only (recommended). */
  domain?: string;
  /** 'auto': Secure unless the gateway's own origin is plain-HTTP loopback. */
  secure: boolean | 'auto';
  sameSite: SameSite;
  /** When Secure and no domain, prefix names with `__Host-` so no subdomain can plant or overwrite them. */
  hostPrefix: boolean;
}

export const DEFAULT_COOKIE_SETTINGS: CookieSettings = {
  namePrefix: '_cgw',
  secure: 'auto',
  sameSite: 'lax',
  hostPrefix: true,
};

const NAME_PREFIX = /^[A-Za-z0-9_-]{1,40}$/;
// A registrable-looking host name; a leading dot is allowed (RFC 6265 ignores it).
const DOMAIN = /^\.?(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** Problems with a settings object, each naming the key and the fix. Empty when valid. */
export function cookieSettingsProblems(settings: CookieSettings): Array<{ key: string; message: string }> {
  const problems: Array<{ key: string; message: string }> = [];
  if (!NAME_PREFIX.test(settings.namePrefix) || /^__(host|secure)-/i.test(settings.namePrefix)) {
    problems.push({
      key: 'cookies.namePrefix',
      message: `cookies.namePrefix ${JSON.stringify(settings.namePrefix)} must be 1-40 letters, digits, "_" or "-" and must not start with __Host- or __Secure- (the gateway adds __Host- itself); use e.g. "_cgw"`,
    });
  }
  if (settings.domain !== undefined && !DOMAIN.test(settings.domain)) {
    problems.push({
      key: 'cookies.domain',
      message: `cookies.domain ${JSON.stringify(settings.domain)} is not a host name; write e.g. "example.com", or remove it for host-only cookies`,
    });
  }
  if (settings.sameSite === 'none' && settings.secure !== true) {
    problems.push({
      key: 'cookies.sameSite',
      message:
        'cookies.sameSite "none" needs cookies.secure: true (browsers drop SameSite=None cookies without Secure); set cookies.secure to true, or use sameSite "lax"',
    });
  }
  return problems;
}

/** Throws the first problem of `cookieSettingsProblems`; for settings built outside the config loader. */
export function assertCookieSettings(settings: CookieSettings): void {
  const first = cookieSettingsProblems(settings)[0];
  if (first) throw new Error(first.message);
}

/**
 * Zod fragment for the root config key `cookies`. Use `cookieConfigSchema.prefault({})` when the whole
 * key may be omitted (zod 4's `.default({})` would skip the inner defaults).
 */
export const cookieConfigSchema = z
  .object({
    namePrefix: z.string().default(DEFAULT_COOKIE_SETTINGS.namePrefix),
    domain: z.string().optional(),
    secure: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    sameSite: z.enum(['lax', 'strict', 'none']).default('lax'),
    hostPrefix: z.boolean().default(true),
  })
  .strict()
  .superRefine((settings, ctx) => {
    for (const problem of cookieSettingsProblems(settings)) {
      ctx.addIssue({ code: 'custom', path: [problem.key.replace(/^cookies\./, '')], message: problem.message });
    }
  });

/** The attributes and name prefix in effect for one request origin. */
export interface CookieScope {
  secure: boolean;
  /** `__Host-` applied: host-only, Path=/, Secure. */
  hostPrefixed: boolean;
  domain?: string;
  sameSite: SameSite;
  /** `<namePrefix>` or `__Host-<namePrefix>`. */
  baseName: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for `http://localhost`, `http://127.0.0.1`, `http://[::1]` (any port): the only origins where Secure is dropped. */
export function isPlainHttpLoopback(origin: string): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

export function resolveCookieScope(settings: CookieSettings, requestOrigin: string): CookieScope {
  const secure = settings.secure === 'auto' ? !isPlainHttpLoopback(requestOrigin) : settings.secure;
  const hostPrefixed = settings.hostPrefix && secure && settings.domain === undefined;
  return {
    secure,
    hostPrefixed,
    ...(hostPrefixed || settings.domain === undefined ? {} : { domain: settings.domain }),
    sameSite: settings.sameSite,
    baseName: (hostPrefixed ? '__Host-' : '') + settings.namePrefix,
  };
}
