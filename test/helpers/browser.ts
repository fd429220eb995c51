/**
 * A tiny scripted browser for HTTP-level tests: a cookie jar per host (cookies ignore ports, as in
 * browsers), manual redirects so tests can look at every hop, and a form filler for the hosted UI.
 * It does what a browser does on the wire; it is not a stand-in for any part under test.
 */
import { fetch as undiciFetch } from 'undici';

/** Decodes the HTML character references a server may put in attribute values. */
export function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCharCode(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export interface Hop {
  url: string;
  status: number;
  location?: string;
}

export class TestBrowser {
  readonly jar = new Map<string, Map<string, string>>();
  /** Headers sent with every request (e.g. Accept). */
  defaultHeaders: Record<string, string> = { accept: 'text/html' };
  /** An undici dispatcher for every request, e.g. one that resolves test host names to 127.0.0.1. */
  dispatcher?: unknown;

  cookieHeader(url: string): string | undefined {
    const host = new URL(url).hostname;
    // Host-only cookies under the host name; Domain cookies under ".domain", sent to it and below.
    const pairs: string[] = [];
    for (const [key, jar] of this.jar) {
      const applies = key === host || (key.startsWith('.') && (host === key.slice(1) || host.endsWith(key)));
      if (applies) for (const [k, v] of jar) pairs.push(`${k}=${v}`);
    }
    return pairs.length ? pairs.join('; ') : undefined;
  }

  cookies(host: string): Map<string, string> {
    let jar = this.jar.get(host);
    if (!jar) {
      jar = new Map();
      this.jar.set(host, jar);
    }
    return jar;
  }

  store(url: string, res: Response) {
    const host = new URL(url).hostname;
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const domainAttr = attrs
        .map((a) => /^\s*domain=\.?(.+?)\s*$/i.exec(a)?.[1])
        .find(Boolean)
        ?.toLowerCase();
      const jar = this.cookies(domainAttr && (host === domainAttr || host.endsWith(`.${domainAttr}`)) ? `.${domainAttr}` : host);
      const expired =
        attrs.some((a) => /^\s*max-age=\s*(0|-\d+)\s*$/i.test(a)) ||
        attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=').slice(1).join('=')) < Date.now());
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers({ ...this.defaultHeaders, ...(init.headers as Record<string, string> | undefined) });
    const cookie = this.cookieHeader(url);
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    // A dispatcher from the undici package needs undici's own fetch (Node's bundled one speaks an older handler API).
    const res = this.dispatcher
      ? ((await undiciFetch(url, { ...init, headers, redirect: 'manual', dispatcher: this.dispatcher } as never)) as unknown as Response)
      : await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(url, res);
    return res;
  }

  /** Follows redirects (GET) until a non-redirect answer or `stopAt` matches the next URL. */
  async follow(url: string, opts: { init?: RequestInit; stopAt?: (next: string) => boolean; maxHops?: number } = {}) {
    const hops: Hop[] = [];
    let current = url;
    let init = opts.init;
    for (let i = 0; i < (opts.maxHops ?? 12); i++) {
      const res = await this.request(current, init);
      const location = res.headers.get('location') ?? undefined;
      hops.push({ url: current, status: res.status, location });
      if (res.status < 300 || res.status >= 400 || !location) return { res, hops, url: current };
      const next = new URL(location, current).href;
      await res.arrayBuffer();
      if (opts.stopAt?.(next)) return { res, hops, url: current, next };
      current = next;
      init = undefined;
    }
    throw new Error(`too many redirects from ${url}: ${hops.map((h) => `${h.status} ${h.url}`).join(' -> ')}`);
  }

  /** Fills and submits the first form on an HTML page, then follows redirects. */
  async submitForm(pageUrl: string, html: string, fields: Record<string, string>, opts: { stopAt?: (next: string) => boolean } = {}) {
    const form = /<form[^>]*>/i.exec(html)?.[0];
    if (!form) throw new Error(`no form on ${pageUrl}`);
    const rawAction = /action="([^"]*)"/i.exec(form)?.[1];
    const action = rawAction === undefined ? pageUrl : decodeEntities(rawAction);
    const body = new URLSearchParams();
    for (const m of html.matchAll(/<input[^>]*>/gi)) {
      const name = /name="([^"]*)"/i.exec(m[0])?.[1];
      const value = decodeEntities(/value="([^"]*)"/i.exec(m[0])?.[1] ?? '');
      if (name && !(name in fields)) body.set(name, value);
    }
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    const target = new URL(action, pageUrl).href;
    return this.follow(target, {
      init: { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      stopAt: opts.stopAt,
    });
  }

  /**
   * Opens `url` on the gateway and, when sent to the hosted UI, signs in there with the form.
   * Returns the final response (the upstream's page on success).
   */
  async signIn(url: string, username: string, password: string) {
    const first = await this.follow(url);
    const html = await first.res.text();
    if (!/<form/i.test(html)) return { res: new Response(html, first.res), hops: first.hops, url: first.url, formShown: false };
    const after = await this.submitForm(first.url, html, { username, password });
    return { ...after, hops: [...first.hops, ...after.hops], formShown: true };
  }

  /**
   * Starts an explicit sign-in at the gateway and picks a federated provider on the way, as a user
   * following a "Sign in with …" link would (identity_provider on the authorize request).
   */
  async signInVia(gatewayOrigin: string, identityProvider: string, username: string, password: string, rd = '/') {
    const start = await this.follow(`${gatewayOrigin}/_auth/login?rd=${encodeURIComponent(rd)}`, { stopAt: (u) => u.includes('/oauth2/authorize') });
    const authorize = new URL(start.next!);
    authorize.searchParams.set('identity_provider', identityProvider);
    const page = await this.follow(authorize.href);
    return this.submitForm(page.url, await page.res.text(), { username, password });
  }
}
