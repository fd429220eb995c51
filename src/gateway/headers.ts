import { DEFAULT_UNTRUSTED_HEADERS } from '../config/schema';
import type { CompiledApp } from '../policy';
import { stripRulesFor, type HeadersConfig, type HeaderStripRules } from '../proxy';
import type { Gateway } from './context';

/** The identity-header config in force for an app: its own override, else the global one. */
export function headersFor(gw: Gateway, app: CompiledApp): HeadersConfig {
  return gw.config.appHeaders[app.id] ?? gw.config.headers;
}

const stripCache = new WeakMap<Gateway, HeaderStripRules>();

/**
 * What is stripped from every client request, whichever app it goes to: the union of every header
 * any app's mapping sets, plus the assertion header. A header that one app trusts must not be
 * forgeable by sending it to another app, or to a bypassed path of the same app.
 */
export function clientHeaderStripRules(gw: Gateway): HeaderStripRules {
  let rules = stripCache.get(gw);
  if (!rules) {
    const configs = [gw.config.headers, ...Object.values(gw.config.appHeaders)];
    const all = configs.map((c) => stripRulesFor(c, [gw.config.assertion.header]));
    rules = {
      names: [...new Set(all.flatMap((r) => r.names))],
      prefixes: [...new Set(all.flatMap((r) => r.prefixes))],
    };
    stripCache.set(gw, rules);
  }
  return rules;
}

const appStripCache = new WeakMap<Gateway, Map<string, HeaderStripRules>>();
const canonical = (h: string) => h.toLowerCase().replaceAll('_', '-');

/**
 * What is stripped from client requests to one app: the identity headers of every app (above) plus
 * the untrusted headers (method overrides, other products' identity headers: defaults and
 * `untrustedHeaders`), less the names this app trusts (`trustClientHeaders`).
 */
export function stripRulesForApp(gw: Gateway, app: CompiledApp): HeaderStripRules {
  let perApp = appStripCache.get(gw);
  if (!perApp) {
    perApp = new Map();
    appStripCache.set(gw, perApp);
  }
  let rules = perApp.get(app.id);
  if (!rules) {
    const base = clientHeaderStripRules(gw);
    const trusted = new Set(app.trustClientHeaders);
    const names = [...DEFAULT_UNTRUSTED_HEADERS.names, ...gw.config.untrustedHeaders.names].filter((n) => !trusted.has(canonical(n)));
    rules = {
      names: [...new Set([...base.names, ...names])],
      prefixes: [...new Set([...base.prefixes, ...DEFAULT_UNTRUSTED_HEADERS.prefixes, ...gw.config.untrustedHeaders.prefixes])],
    };
    perApp.set(app.id, rules);
  }
  return rules;
}
