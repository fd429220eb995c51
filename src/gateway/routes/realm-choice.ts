/**
 * Which realm a request to /_auth/login, /_auth/logout or /_auth/me is about (a storefront's buyer
 * or merchant realm on one pool), and where to send the browser afterwards.
 */
import { safeReturnTo } from '../../oidc/redirect';
import type { CompiledApp } from '../../policy';
import type { Gateway, RequestInfo } from '../context';
import { appServing } from '../decide';
import type { Realm } from '../realms';

/** A storefront prefix: one path segment. */
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;

export type RealmChoice = { ok: true; realm: Realm; app?: CompiledApp; returnTo: string } | { ok: false; detail: string; realm?: string };

/**
 * Which realm a request to /_auth/login, /_auth/logout or /_auth/me is about, and where to return:
 *   1. `realm=<name>` names it;
 *   2. else the app serving the return target: `rd`, or `/<prefix>/` for `prefix=<segment>` (a
 *      storefront), or the host's root (realms by host);
 *   3. else the default realm.
 * A named realm that is not the target app's is refused: that session would not open the target.
 * `rd` is checked like every return target (same origin or redirects.allowedHosts).
 */
export function chooseRealm(gw: Gateway, info: RequestInfo, params: URLSearchParams, opts: { targetMustMatch: boolean }): RealmChoice {
  const prefix = params.get('prefix');
  if (prefix !== null && !PREFIX.test(prefix)) return { ok: false, detail: 'prefix is one path segment such as acme (letters, digits, . _ ~ -).' };
  const rd = params.get('rd');
  const returnTo = safeReturnTo(rd ?? (prefix !== null ? `/${prefix}/` : null), {
    requestOrigin: info.origin,
    allowedHosts: gw.config.redirects.allowedHosts,
    fallback: '/',
  });
  const target = new URL(returnTo, info.origin);
  if (prefix !== null && rd !== null && target.origin === info.origin && !`${target.pathname}/`.startsWith(`/${prefix}/`)) {
    return { ok: false, detail: `rd must be under the storefront prefix /${prefix}/.` };
  }
  const app = appServing(gw.compiled, target.host, target.pathname);
  const named = params.get('realm');
  if (named !== null) {
    const realm = gw.realms.byName.get(named);
    if (!realm) return { ok: false, detail: `There is no realm ${JSON.stringify(named.slice(0, 40))}; realms: ${[...gw.realms.byName.keys()].join(', ')}.` };
    if (opts.targetMustMatch && app && gw.realms.of(app) !== realm) {
      return {
        ok: false,
        realm: named,
        detail: `${app.name} belongs to realm ${gw.realms.of(app).name}, not ${realm.name}: a ${realm.name} session would not open it.`,
      };
    }
    return { ok: true, realm, app, returnTo };
  }
  return { ok: true, realm: gw.realms.of(app), app, returnTo };
}
