/**
 * Forwarding on Node: undici's Dispatcher API (one keep-alive Pool per upstream origin, through an
 * Agent), never fetch. The request head comes from the client's raw headers and the response head
 * from the upstream's raw headers (src/proxy/raw-headers.ts), bodies are streamed with backpressure
 * both ways and never decoded, and the response is written straight to the ServerResponse. The
 * gateway then gets a marker Response (`x-hono-already-sent`) that only carries the status for the
 * access log. Upgrade requests (WebSocket) get the upstream's 101 and then bytes piped both ways.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import {
  downstreamRawHeaders,
  isWebSocketOffer,
  upstreamOrigin,
  upstreamPath,
  upstreamRawHeaders,
  UpstreamError,
  type Forwarder,
  type UpstreamRequest,
} from '../proxy';
import type { UpgradeEnd, UpgradeStats } from '../metrics';
import { declaresBody, NodeRequestView, type NodeBindings } from './node-request';
import type { UpgradeRegistry } from './node-upgrades';
import { CLOSE_REVOKED, CLOSE_EXPIRED, FrameBoundary } from './ws-frames';

export type { NodeBindings };

const bindingsByRequest = new WeakMap<Request, NodeBindings>();

/**
 * Called by the Node entry for every request served through @hono/node-server's listener, so the
 * forwarder can reach the raw request (a direct request's view carries its bindings).
 */
export function rememberBindings(req: Request, env: NodeBindings): void {
  bindingsByRequest.set(req, env);
}

/**
 * `Expect: 100-continue` requests whose `100 Continue` waits for the decision (node.ts listens for
 * `checkContinue`, so Node does not send it by itself). An answer written without the 100 makes
 * Node close the connection after it: the client may send the body anyway, and it must not be read
 * as the next request (RFC 9110 §10.1.1).
 */
const continueHeld = new WeakSet<ServerResponse>();

/** Holds the 100 Continue of a request with a body until the gateway lets the body come (releaseContinue). */
export function holdContinue(res: ServerResponse): void {
  continueHeld.add(res);
}

/** The gateway takes the body (forwarding it, or an endpoint reading it): `100 Continue` now. */
export function releaseContinue(res: ServerResponse): void {
  if (continueHeld.delete(res) && !res.headersSent && !res.destroyed) res.writeContinue();
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** How often the upstream header deadlines are checked: a timeout fires up to this much late. */
const DEADLINE_TICK_MS = 100;

/** What HeadDeadlines keeps per request: its deadline and its place in the list. */
interface HeadWait {
  /** When the upstream's response head must have arrived (performance.now() ms). */
  readonly deadline: number;
  prevWaiting: HeadWait | undefined;
  nextWaiting: HeadWait | undefined;
  waiting: boolean;
  headTimedOut(): void;
}

/**
 * The requests waiting for their upstream's response head, checked against their deadlines by one
 * timer. undici's own headersTimeout is a timer object per request that its timer wheel keeps until
 * its next tick (up to a second after the request ended): every request's outlived two scavenges
 * and was promoted to V8's old space, most of what the request path promoted, and the scavenges
 * took longer for it (docs/performance.md, session 9).
 *
 * A list through the requests themselves, not a Set: a long-lived Set that every request is added
 * to and deleted from keeps its deleted entries' objects alive through scavenges (its old table
 * still points at them from old space after a rehash), and whole requests were promoted: 480 MB in a
 * 10-s run against 18 MB (measured). Here a finished request is unlinked and points at nothing.
 */
class HeadDeadlines {
  private head: HeadWait | undefined;
  private tail: HeadWait | undefined;
  private timer: NodeJS.Timeout | undefined;

  add(w: HeadWait): void {
    w.waiting = true;
    w.prevWaiting = this.tail;
    w.nextWaiting = undefined;
    if (this.tail) this.tail.nextWaiting = w;
    else this.head = w;
    this.tail = w;
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), DEADLINE_TICK_MS);
      // Never what keeps the process alive: the request's own sockets do that.
      this.timer.unref();
    }
  }

  delete(w: HeadWait): void {
    if (!w.waiting) return;
    w.waiting = false;
    const { prevWaiting: prev, nextWaiting: next } = w;
    if (prev) prev.nextWaiting = next;
    else this.head = next;
    if (next) next.prevWaiting = prev;
    else this.tail = prev;
    w.prevWaiting = undefined;
    w.nextWaiting = undefined;
  }

  private sweep(): void {
    if (this.head === undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const now = performance.now();
    for (let w: HeadWait | undefined = this.head; w !== undefined; ) {
      const next: HeadWait | undefined = w.nextWaiting;
      if (w.deadline <= now) {
        this.delete(w);
        w.headTimedOut();
      }
      w = next;
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    while (this.head) this.delete(this.head);
  }
}

/** @hono/node-server's marker for "the response was written directly". */
const ALREADY_SENT_HEADER = 'x-hono-already-sent';

const markers = new Map<number, Response>();
const markerSet = new WeakSet<Response>();

/** Whether a Response is the forwarder's marker: the answer is already on its way to the client, X-Request-Id included. */
export function isAlreadySent(res: Response): boolean {
  return markerSet.has(res);
}

/**
 * A Response that tells @hono/node-server to write nothing, reporting `status` to the access log.
 * One per status, shared: it has no body and nothing reads its headers but that marker.
 */
function alreadySent(status: number): Response {
  let marker = markers.get(status);
  if (!marker) {
    marker = newMarker(status);
    markers.set(status, marker);
    markerSet.add(marker);
  }
  return marker;
}

function newMarker(status: number): Response {
  const res = new Response(null, { headers: { [ALREADY_SENT_HEADER]: 'true' } });
  // @hono/node-server's own Response keeps a fast-path cache under a symbol and would write that
  // cache (a 200) without looking at the marker header: drop it so the marker is honoured.
  for (const key of Object.getOwnPropertySymbols(res)) {
    if (Array.isArray((res as unknown as Record<symbol, unknown>)[key])) delete (res as unknown as Record<symbol, unknown>)[key];
  }
  // 101 is not a status a Response may be built with; the log still deserves the real one.
  Object.defineProperty(res, 'status', { value: status });
  return res;
}

export interface NodeForwarderOptions {
  /** Most sockets per upstream origin. */
  connections?: number;
  /** How long an idle upstream socket stays open. */
  keepAliveTimeout?: number;
  /** Where upgraded connections are registered by their credentials, so a revocation closes them. */
  registry?: UpgradeRegistry;
}

/** The forwarder's upgraded connections: the open ones (the drain ends them) and what ended the others. */
interface UpgradeBook {
  /** `endedBy` counts the reason unless another came first (then false). */
  open: Set<{ destroy(): void; endedBy(reason: UpgradeEnd): boolean }>;
  closed: Record<UpgradeEnd, number>;
}

/** What every request's handler shares with its forwarder: the upgrade book, the revocation registry, the head deadlines. */
interface ForwarderShared {
  upgrades: UpgradeBook;
  registry: UpgradeRegistry | undefined;
  deadlines: HeadDeadlines;
}

export interface NodeForwarder {
  forward: Forwarder;
  /** Ends every upgraded connection (drain deadline). */
  destroyUpgrades(): void;
  upgradeStats(): UpgradeStats;
  close(): Promise<void>;
}

export function createNodeForwarder(o: NodeForwarderOptions = {}): NodeForwarder {
  const agent = new Agent({ keepAliveTimeout: o.keepAliveTimeout ?? 10_000, connections: o.connections ?? 256 });
  const upgrades: UpgradeBook = { open: new Set(), closed: { revoked: 0, lifetime: 0, drain: 0 } };
  const deadlines = new HeadDeadlines();
  const shared: ForwarderShared = { upgrades, registry: o.registry, deadlines };

  const forward: Forwarder = (req, opts) => {
    const bindings = req instanceof NodeRequestView ? req.bindings : bindingsByRequest.get(req);
    if (!bindings) throw new Error('node forwarder: request did not come through the Node entry');
    return new Promise<Response>((resolve, reject) => {
      const { incoming } = bindings;
      // The origin goes to undici on its own: the path cannot change where the request goes.
      const origin = upstreamOrigin(opts.upstream);
      const path = upstreamPath(opts.upstream, opts.path, opts.query);
      const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const headers = upstreamRawHeaders(incoming.rawHeaders, opts);
      const hasBody = declaresBody(incoming.headers);
      // Expect: 100-continue: allowed, so the client may send the body now (Expect itself is not forwarded).
      if (hasBody) releaseContinue(bindings.outgoing);
      const upgrade = bindings.upgrade && incoming.headers.upgrade ? incoming.headers.upgrade : undefined;
      const handler = new ProxyHandler(bindings, opts, origin, timeoutMs, resolve, reject, upgrade ? bindings.upgrade : undefined, shared);
      const dispatchOpts: Dispatcher.DispatchOptions = {
        origin,
        path,
        method: incoming.method ?? 'GET',
        headers,
        body: hasBody ? incoming : null,
        // The head's deadline is the gateway's own (HeadDeadlines), from the moment it is dispatched.
        headersTimeout: 0,
        // Streams (SSE, long polls) may be quiet for long; the client socket's own timeouts govern.
        bodyTimeout: 0,
        upgrade: upgrade ?? null,
      };
      deadlines.add(handler);
      agent.dispatch(dispatchOpts, handler);
    });
  };

  return {
    forward,
    destroyUpgrades() {
      for (const u of upgrades.open) {
        u.endedBy('drain');
        u.destroy();
      }
    },
    upgradeStats: () => ({ open: upgrades.open.size, closed: { ...upgrades.closed } }),
    close: () => {
      deadlines.close();
      return agent.close();
    },
  };
}

const NONE: readonly string[] = Object.freeze([]);

function asStrings(raw: Dispatcher.DispatchController['rawHeaders']): readonly string[] {
  if (!Array.isArray(raw) || raw.length === 0) return NONE;
  const out = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    out[i] = typeof v === 'string' ? v : v.toString('latin1');
  }
  return out;
}

/** What an upstream request abandoned at its head deadline is aborted with. */
function headTimedOutError(): Error {
  return new Error('upstream response head timed out');
}

/** Short cause for logs: the socket or undici error code. */
function failureCode(e: unknown): string {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof err?.code === 'string') return err.code;
  if (typeof err?.cause?.code === 'string') return err.cause.code;
  return e instanceof Error ? e.message.slice(0, 120) : 'request failed';
}

class ProxyHandler implements Dispatcher.DispatchHandler, HeadWait {
  private headSent = false;
  /** A first chunk that may be the whole known-length body: held so head and body go out in one write. */
  private held?: Buffer;
  private expected = -1;
  private wroteBody = false;
  readonly deadline: number;
  prevWaiting: HeadWait | undefined = undefined;
  nextWaiting: HeadWait | undefined = undefined;
  waiting = false;
  /** The head did not come in time: the client has the 504, whatever the upstream does now is dropped. */
  private expired = false;
  private controller?: Dispatcher.DispatchController;

  private readonly res: ServerResponse;

  constructor(
    private readonly bindings: NodeBindings,
    private readonly opts: UpstreamRequest,
    private readonly origin: string,
    private readonly timeoutMs: number,
    private readonly resolve: (r: Response) => void,
    private readonly reject: (e: unknown) => void,
    private readonly upgrade: NodeBindings['upgrade'],
    private readonly shared: ForwarderShared,
  ) {
    this.res = bindings.outgoing;
    this.deadline = performance.now() + timeoutMs;
  }

  /** From HeadDeadlines: no response head within timeoutMs. The upstream request is abandoned. */
  headTimedOut(): void {
    this.expired = true;
    this.reject(new UpstreamError('timeout', this.origin, `no response headers within ${this.timeoutMs} ms`));
    if (this.controller && !this.controller.aborted) this.controller.abort(headTimedOutError());
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Timed out while still queued for a connection: it never goes out.
    if (this.expired) return void controller.abort(headTimedOutError());
    const abortIfGone = () => {
      if (!this.res.writableFinished && !controller.aborted) controller.abort(new Error('client went away'));
    };
    if (this.upgrade) {
      this.upgrade.socket.once('close', () => {
        if (!this.headSent) abortIfGone();
      });
    } else if (this.bindings.close) {
      if (this.bindings.close.closed) abortIfGone();
      else this.bindings.close.onClose = abortIfGone;
    } else {
      this.res.once('close', abortIfGone);
    }
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, _headers: unknown, statusMessage?: string): void {
    if (this.expired) return void controller.abort(headTimedOutError());
    if (statusCode < 200) {
      // 103 Early Hints goes on to the client; 100 was already answered by our own server.
      if (statusCode === 103 && !this.upgrade) this.earlyHints(asStrings(controller.rawHeaders));
      return;
    }
    this.shared.deadlines.delete(this);
    if (statusCode > 599) {
      controller.abort(new Error(`status ${statusCode}`));
      this.reject(new UpstreamError('invalid_response', this.origin, `status ${statusCode}`));
      return;
    }
    const head = downstreamRawHeaders(asStrings(controller.rawHeaders), this.opts);
    this.expected = head.contentLength;
    // Only the upstream's Date (if any): the gateway adds nothing to the response head.
    this.res.sendDate = false;
    this.res.writeHead(statusCode, statusMessage || undefined, head.headers);
    this.headSent = true;
    this.opts.onResponseHead?.({ contentLength: head.contentLength >= 0 ? head.contentLength : undefined });
    if (this.upgrade) this.res.once('finish', () => this.upgrade!.socket.end());
    this.resolve(alreadySent(statusCode));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.wroteBody && this.held === undefined && this.expected === chunk.length) {
      this.held = chunk;
      return;
    }
    this.wroteBody = true;
    if (this.held) {
      this.res.write(this.held);
      this.held = undefined;
    }
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(controller: Dispatcher.DispatchController): void {
    const trailers = asStrings(controller.rawTrailers);
    if (trailers.length > 0 && this.expected === -1) {
      const t: Array<[string, string]> = [];
      for (let i = 0; i < trailers.length; i += 2) t.push([trailers[i]!, trailers[i + 1]!]);
      this.res.addTrailers(t);
    }
    const held = this.held;
    this.held = undefined;
    if (held) this.res.end(held);
    else this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.shared.deadlines.delete(this);
    if (this.headSent) {
      this.res.destroy(err);
      return;
    }
    // Our own abort after the 504 was answered.
    if (this.expired) return;
    const code = failureCode(err);
    // undici no longer times the head (headersTimeout: 0, HeadDeadlines does): only connecting.
    if (code === 'UND_ERR_CONNECT_TIMEOUT')
      this.reject(new UpstreamError('timeout', this.origin, `no response headers within ${this.timeoutMs} ms`, { cause: err }));
    else this.reject(new UpstreamError('unreachable', this.origin, code, { cause: err }));
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, _headers: unknown, upstream: Duplex): void {
    this.shared.deadlines.delete(this);
    if (this.expired) {
      upstream.destroy();
      return;
    }
    const client = this.upgrade!.socket;
    const head = downstreamRawHeaders(asStrings(controller.rawHeaders), this.opts, true);
    let text = `HTTP/1.1 ${statusCode} Switching Protocols\r\n`;
    for (let i = 0; i < head.headers.length; i += 2) text += `${head.headers[i]}: ${head.headers[i + 1]}\r\n`;
    this.headSent = true;
    this.res.detachSocket(client as never);
    client.write(`${text}\r\n`);
    if (this.upgrade!.head.length > 0) upstream.write(this.upgrade!.head);
    // A WebSocket a revocation or the credentials' end may close: the upstream's frames are watched,
    // so the close can be a 1008 close frame between two of them (else, mid-frame, a cut).
    const closable = (this.opts.revocation !== undefined && this.shared.registry !== undefined) || this.opts.closeAfterMs !== undefined;
    const frames = closable && isWebSocketOffer(this.bindings.incoming.headers.upgrade) ? new FrameBoundary() : undefined;
    let closing = false;
    // The first reason the gateway ends it for is the one counted (a revocation's close frame may
    // still be on its way when the lifetime ends, say).
    let ended = false;
    const endedBy = (reason: UpgradeEnd): boolean => {
      if (ended) return false;
      ended = true;
      this.shared.upgrades.closed[reason]++;
      return true;
    };
    const link = {
      endedBy,
      destroy: () => {
        client.destroy();
        upstream.destroy();
      },
      revoke: () => {
        if (endedBy('revoked')) closeWith(CLOSE_REVOKED);
      },
    };
    /** Ends it with a close frame to the client when between two upstream frames, else cuts both sockets. */
    const closeWith = (frame: Buffer) => {
      if (!frames?.canClose() || client.destroyed || !client.writable) return link.destroy();
      closing = true;
      upstream.unpipe(client);
      client.unpipe(upstream);
      upstream.destroy();
      // What the client still sends (its own close frame) is read and dropped; its FIN ends the socket.
      client.resume();
      client.end(frame);
      const cut = setTimeout(() => client.destroy(), 1000);
      cut.unref();
      client.once('close', () => clearTimeout(cut));
    };
    this.shared.upgrades.open.add(link);
    let timer: NodeJS.Timeout | undefined;
    if (this.opts.closeAfterMs !== undefined) {
      // setTimeout caps at ~24.8 days; a session is never that long.
      const lifetimeEnded = () => {
        if (endedBy('lifetime')) closeWith(CLOSE_EXPIRED);
      };
      timer = setTimeout(lifetimeEnded, Math.max(0, Math.min(this.opts.closeAfterMs, 2 ** 31 - 1)));
      timer.unref();
    }
    // Sign-out, sign-out everywhere or a revoked token family closes it too (./node-upgrades.ts).
    const forget = this.opts.revocation && this.shared.registry ? this.shared.registry.add(link, this.opts.revocation) : undefined;
    const finish = () => {
      clearTimeout(timer);
      this.shared.upgrades.open.delete(link);
      forget?.();
      // A revocation's close frame is on its way to the client: only the upstream goes now.
      if (closing) upstream.destroy();
      else link.destroy();
    };
    client.on('error', finish).on('close', finish);
    upstream.on('error', finish).on('close', finish);
    upstream.pipe(client);
    client.pipe(upstream);
    // After pipe's own listener: the frames seen are those written to the client.
    if (frames) upstream.on('data', (chunk: Buffer) => frames.feed(chunk));
    this.resolve(alreadySent(statusCode));
  }

  private earlyHints(raw: readonly string[]): void {
    const hints: Record<string, string[]> = {};
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      hints[name] = [...(hints[name] ?? []), raw[i + 1]!];
    }
    if (hints.link) this.res.writeEarlyHints(hints as never);
  }
}
