/**
 * The request a proxied request is decided on, built straight over node:http's IncomingMessage:
 * what the core reads of a request is `method`, `url` and `headers.get` (check src/gateway before
 * reading anything else), so a whole Request is never made for it. Answers like
 * @hono/node-server's lightweight Request, which served these requests before and still serves the
 * gateway's endpoints: the same URL and the same header values (see `get`), so a decision cannot
 * depend on which of the two served it. Node only, with ./node.ts.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { rememberFirst } from '../memo';

/** What @hono/node-server hands the app as `env`, plus the socket of an Upgrade request. */
export interface NodeBindings {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
  /** Set for requests that arrived through the server's 'upgrade' event. */
  upgrade?: { socket: Duplex; head: Buffer };
  /**
   * Set when the Node entry's own 'close' listener on `outgoing` reports the close here (one listener
   * per request rather than one per party that cares): `closed` once it fired, and it calls `onClose`.
   * Without it the forwarder listens itself. `direct`: false once @hono/node-server's listener took
   * the request over (it then drains an unread body itself).
   */
  close?: { closed: boolean; onClose?: () => void; direct: boolean };
}

/**
 * What @hono/node-server accepts without building a URL object (its fast path): a plain host (name or
 * IPv4, optional port) and an origin-form target without dot segments or characters a URL parser
 * would rewrite. Anything else goes through its listener, which normalises or refuses it (400).
 */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
const PLAIN_TARGET = /^\/[!#$&-;=?-[\]_a-z~]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)/;

/** Whether a Headers object would refuse the value (NUL, CR, LF); indexOf beats a regex on a long Cookie. */
const forbiddenValue = (v: string) => v.indexOf('\n') !== -1 || v.indexOf('\r') !== -1 || v.indexOf('\0') !== -1;
const VALID_NAME = /^[!#$%&'*+\-.^_`|~\dA-Za-z]+$/;

/**
 * Headers Node keeps one of (drops repeats) or keeps as a list: their value is joined from the raw
 * lines, as a Headers object would join it, instead of read from `incoming.headers`.
 */
const NOT_JOINED_BY_NODE = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
  'set-cookie',
  '__proto__',
]);

/** Names the gateway asks for, checked and lower-cased once (they are its own literals: few). */
const lowerName = rememberFirst(512, (name) => {
  if (!VALID_NAME.test(name)) throw new TypeError(`Invalid header name: ${name}`);
  return name.toLowerCase();
});

const isWhitespace = (c: number) => c === 9 || c === 10 || c === 13 || c === 32;

function trimHttpWhitespace(v: string): string {
  if (v.length === 0 || (!isWhitespace(v.charCodeAt(0)) && !isWhitespace(v.charCodeAt(v.length - 1)))) return v;
  let start = 0;
  let end = v.length;
  while (start < end && isWhitespace(v.charCodeAt(start))) start++;
  while (end > start && isWhitespace(v.charCodeAt(end - 1))) end--;
  return v.slice(start, end);
}

/**
 * Request headers read from the IncomingMessage without copying them into a Headers object; the rest
 * of the Headers API (iteration, edits) works on a Headers built from the raw lines on first use.
 */
export class IncomingHeaders {
  #headers?: Headers;
  #invalid = false;

  constructor(private readonly incoming: IncomingMessage) {}

  get #native(): Headers {
    if (!this.#headers) {
      const h = new Headers();
      const raw = this.incoming.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) if (!raw[i]!.startsWith(':')) h.append(raw[i]!, raw[i + 1]!);
      this.#headers = h;
    }
    return this.#headers;
  }

  /** The value, or undefined when only a Headers object can say (edited, or a value it would refuse). */
  #lookup(name: string): string | null | undefined {
    if (typeof name !== 'string') return undefined;
    const lower = lowerName(name);
    if (this.#headers || this.#invalid) return undefined;
    if (!NOT_JOINED_BY_NODE.has(lower)) {
      // Node joined repeats with ", " (Cookie with "; "), as the raw lines below would be.
      const headers = this.incoming.headers;
      if (!Object.hasOwn(headers, lower)) return null;
      const v = headers[lower];
      if (typeof v === 'string') {
        const value = trimHttpWhitespace(v);
        return forbiddenValue(value) ? undefined : value;
      }
    }
    const separator = lower === 'cookie' ? '; ' : ', ';
    const raw = this.incoming.rawHeaders;
    let value: string | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i]!;
      if (n.length === lower.length && n.toLowerCase() === lower) {
        const v = trimHttpWhitespace(raw[i + 1]!);
        if (forbiddenValue(v)) {
          this.#invalid = true;
          return undefined;
        }
        value = value === null ? v : value + separator + v;
      }
    }
    return value;
  }

  get(name: string): string | null {
    const v = this.#lookup(name);
    return v !== undefined ? v : this.#native.get(name);
  }

  has(name: string): boolean {
    const v = this.#lookup(name);
    return v !== undefined ? v !== null : this.#native.has(name);
  }

  append(name: string, value: string): void {
    this.#native.append(name, value);
  }

  set(name: string, value: string): void {
    this.#native.set(name, value);
  }

  delete(name: string): void {
    this.#native.delete(name);
  }

  getSetCookie(): string[] {
    return this.#native.getSetCookie();
  }

  keys(): HeadersIterator<string> {
    return this.#native.keys();
  }

  values(): HeadersIterator<string> {
    return this.#native.values();
  }

  entries(): HeadersIterator<[string, string]> {
    return this.#native.entries();
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    this.#native.forEach((value, key) => {
      callback.call(thisArg, value, key, this as unknown as Headers);
    });
  }

  [Symbol.iterator](): HeadersIterator<[string, string]> {
    return this.#native.entries();
  }
}

/** The request view of a proxied request: method, URL, headers, and the Node objects behind it. */
export class NodeRequestView {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHeaders;

  constructor(
    readonly bindings: NodeBindings,
    url: string,
  ) {
    this.method = bindings.incoming.method!;
    this.url = url;
    this.headers = new IncomingHeaders(bindings.incoming);
  }
}

/**
 * The view for a request the direct path can serve, else undefined (then @hono/node-server's
 * listener serves it as before): one Host line with a plain host, an origin-form target that needs
 * no normalising, and a method other than TRACE (which that listener gives a GET Request).
 */
export function directRequestView(bindings: NodeBindings): NodeRequestView | undefined {
  const incoming = bindings.incoming;
  const method = incoming.method;
  const target = incoming.url;
  if (!method || method === 'TRACE' || !target || target.charCodeAt(0) !== 47) return undefined;
  const raw = incoming.rawHeaders;
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      // Two Host lines: the listener's refusal (400) answers them.
      if (host !== undefined) return undefined;
      host = raw[i + 1]!;
    }
  }
  if (!host || !PLAIN_HOST.test(host) || !PLAIN_TARGET.test(target) || DOT_SEGMENT.test(target)) return undefined;
  const scheme = (incoming.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http';
  return new NodeRequestView(bindings, `${scheme}://${host}${target}`);
}

/** Whether a request says it has a body (Transfer-Encoding, or a Content-Length other than 0). */
export function declaresBody(headers: IncomingHttpHeaders): boolean {
  const cl = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}
