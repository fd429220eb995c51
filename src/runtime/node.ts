/**
 * The Node entry: serves the gateway on node:http (requests for apps straight from the handler over
 * a request view, ./node-request.ts; the gateway's endpoints and anything unusual through
 * @hono/node-server's request listener), reaches upstreams with undici's dispatcher
 * (./node-forward.ts), hands Upgrade requests (WebSocket) to the same pipeline, reloads its config
 * without dropping connections (a bad new config is refused and the old one stays), and drains
 * gracefully. The only gateway file that knows it runs on Node, with ./node-forward.ts and
 * ./node-request.ts.
 */
import { getRequestListener, RequestError } from '@hono/node-server';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ResolvedConfig } from '../config/load';
import { createGateway, createGatewayApp, serveProxied } from '../gateway/app';
import type { Gateway } from '../gateway/context';
import { createWriteStream } from 'node:fs';
import { jsonLinesAudit, type AuditSink } from '../audit';
import { createAdminHandler } from '../gateway/admin';
import { errorResponse, newRequestId, type ErrorCode } from '../http';
import { createLogger, prettyLine, type LogLevel, type Logger } from '../log';
import { statusClass, type GatewayMetrics } from '../metrics';
import { createGatewayMetrics } from '../metrics/prometheus';
import { GATEWAY_VERSION } from '../version';
import { createMemoryStore } from '../store/memory';
import { createNodeForwarder, holdContinue, isAlreadySent, releaseContinue, rememberBindings, type NodeBindings } from './node-forward';
import { declaresBody, directRequestView, type NodeRequestView } from './node-request';
import { clientErrorListener } from './node-client-error';
import { createBatchedSink } from './node-log';
import { closeNodeStore, nodeStoreFor } from './node-store';
import { createUpgradeRegistry } from './node-upgrades';

export interface NodeGatewayOptions {
  config: ResolvedConfig;
  /** Re-reads the config for reloads; without it, reload() is unavailable. */
  loadConfig?: () => Promise<ResolvedConfig>;
  host?: string;
  port?: number;
  logger?: Logger;
  now?: () => number;
  /** Environment for the Cognito admin API (COGNITO_ENDPOINT, AWS_*); default process.env. */
  env?: Record<string, string | undefined>;
  /** Where audit events go; default `audit.file` (appended) or stdout. */
  audit?: AuditSink;
  /** Metrics kept across reloads; default one set for this gateway. */
  metrics?: GatewayMetrics;
  /**
   * Serve requests for apps straight from the node:http handler (default true). False sends every
   * request through @hono/node-server's listener: the reference the direct path is tested against.
   */
  directProxy?: boolean;
  /** How often open upgraded connections are checked against the revocation list with no notice (ms); default 30 s. */
  upgradeRecheckMs?: number;
}

export interface DrainResult {
  /** Requests and upgraded connections still open at the deadline, and so cut. */
  cut: number;
}

export interface RunningGateway {
  url: string;
  port: number;
  /** The admin listener (/metrics, /healthz, /readyz) when `admin.listen` is set. */
  adminUrl?: string;
  gateway(): Gateway;
  /** True once drain() has begun: readiness answers 503 from then on. */
  draining(): boolean;
  /** Loads the config again; on failure logs why, keeps the running config and returns false. */
  reload(): Promise<boolean>;
  /**
   * Graceful stop: readiness fails, the listener stops accepting, in-flight requests and upgraded
   * connections get `timeoutMs` (default listen.shutdownTimeout) to finish, the rest are cut.
   */
  drain(timeoutMs?: number): Promise<DrainResult>;
  /** Immediate stop: every connection is closed now. */
  close(): Promise<void>;
}

/** fetch for the IdP (discovery, token, JWKS): a client, with its own keep-alive pool. */
export function createIdpFetch(): typeof fetch {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher: agent } as never)) as unknown as typeof fetch;
}

/**
 * Audit lines: appended to `audit.file`, else to stdout through the log's own batched writer (one
 * write per batch for both streams, not one each).
 */
function auditSinkFor(config: ResolvedConfig, stdout: (line: string, level: LogLevel) => void): AuditSink {
  if (config.audit.file) {
    const file = createWriteStream(config.audit.file, { flags: 'a' });
    return jsonLinesAudit((line) => file.write(`${line}\n`));
  }
  return jsonLinesAudit((line) => stdout(line, 'info'));
}

export async function startNodeGateway(opts: NodeGatewayOptions): Promise<RunningGateway> {
  const batched = createBatchedSink();
  const sink = opts.config.logFormat === 'pretty' ? (line: string, level: LogLevel) => batched(prettyLine(line), level) : batched;
  const logger = opts.logger ?? createLogger({ level: opts.config.logLevel, sink });
  const listen = opts.config.listen;
  // Upgraded connections by their credentials: a revocation closes them (./node-upgrades.ts).
  const upgradeRegistry = createUpgradeRegistry({
    check: (q) => current.gw.stores.revocations.check(q),
    log: logger,
    recheckMs: opts.upgradeRecheckMs,
  });
  const forwarder = createNodeForwarder({ registry: upgradeRegistry });
  const idpFetch = createIdpFetch();
  const metrics = opts.metrics ?? createGatewayMetrics();
  metrics.buildInfo.set({ version: GATEWAY_VERSION, runtime: `node ${process.versions.node}` }, 1);
  // The forwarder outlives config reloads, and so do its upgraded connections.
  metrics.sources.upgrades = () => forwarder.upgradeStats();
  const audit = opts.audit ?? auditSinkFor(opts.config, batched);
  let draining = false;
  // This process's memory outlives config reloads: what it revoked stays revoked.
  const localStore = createMemoryStore({ now: opts.now });
  const build = async (config: ResolvedConfig) => {
    const gw = await createGateway(config, {
      forward: forwarder.forward,
      idpFetch,
      metrics,
      audit,
      isDraining: () => draining,
      onRevocation: (keys) => upgradeRegistry.changed(keys),
      peerAddress: (_req, env) => (env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress,
      rawTarget: (req, env) => (env as NodeBindings | undefined)?.incoming?.url ?? new URL(req.url).pathname + new URL(req.url).search,
      logger,
      now: opts.now,
      env: opts.env ?? process.env,
      store: await nodeStoreFor(config, opts.env ?? process.env, logger),
      localStore,
    });
    return { gw, app: createGatewayApp(gw) };
  };
  let current = await build(opts.config);
  let inFlight = 0;

  /**
   * Requests through @hono/node-server's listener (a lazy Request, its Response writer): the gateway's
   * endpoints, and every request the direct path below does not take. `apps`: requests for apps are
   * served without the Hono app (its router and context cost on every forwarded request).
   */
  const unreadable = unreadableRequests(logger);
  const honoListener = (apps: boolean) =>
    unreadable.listener((req, env) => {
      const bindings = env as NodeBindings;
      const incoming = bindings.incoming;
      const refused = refuseDuplicateHost(req, incoming, logger);
      if (refused) return refused;
      rememberBindings(req, bindings);
      const { gw, app } = current;
      // The gateway's own endpoints read their bodies themselves: a held 100 Continue goes out first.
      const endpoint = () => {
        releaseContinue(bindings.outgoing);
        return app.fetch(req, env);
      };
      if (!apps || incoming.url?.startsWith('/_auth')) return endpoint();
      return serveProxied(gw, req, env, isAlreadySent).then((res) => res ?? endpoint());
    });
  const listener = honoListener(true);
  const endpointListener = honoListener(false);

  // A direct request's answer that is not already sent (a refusal page, a sign-in redirect) is
  // written by @hono/node-server's own writer, so its bytes are those every other answer gets.
  let pendingAnswer: Response | undefined;
  const answerWriter = getRequestListener(() => Promise.resolve(pendingAnswer!));
  const writeAnswer = (bindings: NodeBindings, res: Response) => {
    bindings.close!.direct = false;
    pendingAnswer = res;
    // The writer reads pendingAnswer synchronously, before its first await.
    void answerWriter(bindings.incoming, bindings.outgoing);
    pendingAnswer = undefined;
  };

  /**
   * The direct path: a request for an app served straight from the node:http handler (no lazy
   * Request, no Response for the forwarded answer), decided and forwarded exactly as through Hono.
   */
  const serveDirect = (view: NodeRequestView) => {
    const bindings = view.bindings;
    serveProxied(current.gw, view as unknown as Request, bindings, isAlreadySent).then(
      (res) => {
        if (res === undefined) {
          bindings.close!.direct = false;
          void endpointListener(bindings.incoming, bindings.outgoing);
        } else if (!isAlreadySent(res)) writeAnswer(bindings, res);
      },
      // serveProxied answers its own errors; anything else is a bug, answered from the catalogue.
      (e: unknown) => writeAnswer(bindings, unreadable.errorHandler(e, bindings.incoming)),
    );
  };
  const direct = opts.directProxy ?? true;

  const server = http.createServer(
    {
      // 32 KB of request headers by default (Node's is 16 KB): a full chunked session plus an app's
      // own cookies must fit, or a user could not even reach /_auth/logout.
      maxHeaderSize: listen.maxHeaderSize,
      headersTimeout: listen.headersTimeout * 1000,
      requestTimeout: listen.requestTimeout * 1000,
      keepAliveTimeout: listen.keepAliveTimeout * 1000,
      // Node adds 1 s of grace to keepAliveTimeout before closing; the config says what it means.
      keepAliveTimeoutBuffer: 0,
      // How often headersTimeout/requestTimeout are checked (Node's default, 30 s, would let a
      // 20 s headersTimeout run to 50 s).
      connectionsCheckingInterval: 1000,
      // An HTTP/1.1 request without Host gets the catalogue's 400 from the listener (see
      // unreadableRequests) rather than Node's bare one.
      requireHostHeader: false,
    } as http.ServerOptions,
    onHttpRequest,
  );
  // Expect: 100-continue: Node would send `100 Continue` at once, before the gateway decides, and a
  // client would upload its whole body only to be refused. With this listener Node sends nothing:
  // the gateway writes the 100 when it forwards the body or an endpoint reads it (releaseContinue),
  // and a refusal goes out without one (closing the connection, unless there is no body).
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (declaresBody(req.headers)) holdContinue(res);
    // A request that says it has no body needs no 100, and its connection can carry the next
    // request: Node would close it after an answer sent without a 100 (its `_expect_continue`).
    else (res as http.ServerResponse & { _expect_continue?: boolean })._expect_continue = false;
    onHttpRequest(req, res);
  });
  // Any other expectation (RFC 9110 §10.1.1: 417 may be answered): the catalogue's answer and a
  // log line, where Node would write a bare 417 and keep the connection; the body is never read.
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.shouldKeepAlive = false;
    void unreadable.listener((r) =>
      refusal(r, req, logger, 'Expect other than 100-continue', 'expectation_failed', 'The gateway meets no expectation but 100-continue.'),
    )(req, res);
  });
  function onHttpRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    // A pipelined request waits until the answers before it are written (Node queues its response
    // until then): if one of those closes the connection (the client's `Connection: close`, a
    // refusal, draining), it is never served, so it cannot reach an upstream whose answer nobody
    // would read.
    if (!res.socket) {
      const socket = req.socket;
      const serve = () => {
        socket.off('close', drop);
        onRequest(req, res);
      };
      const drop = () => res.off('socket', serve);
      res.once('socket', serve);
      socket.once('close', drop);
      return;
    }
    onRequest(req, res);
  }
  /** One request, once its turn on the connection has come. */
  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    inFlight++;
    if (draining) res.shouldKeepAlive = false;
    const view = direct && !req.url?.startsWith('/_auth') ? directRequestView(newBindings(req, res)) : undefined;
    if (!view) {
      res.once('close', () => inFlight--);
      void listener(req, res);
      return;
    }
    const close = view.bindings.close!;
    // The one 'close' listener of a direct request: the in-flight count (drain), the forwarder's
    // abort of an upstream request the client left, and the body nobody read. (`on`: a response
    // closes once, and `once` would wrap the listener.)
    res.on('close', () => {
      inFlight--;
      close.closed = true;
      close.onClose?.();
      if (close.direct && !req.readableEnded && req.method !== 'GET' && req.method !== 'HEAD') drainUnread(req);
    });
    serveDirect(view);
  }
  // Bytes Node cannot parse as a request: the catalogue's answer and a log line (./node-client-error.ts).
  server.on(
    'clientError',
    clientErrorListener(logger, (status) => metrics.requests.inc({ app: '', answer: 'refused', status_class: statusClass(status) })),
  );
  server.maxHeadersCount = listen.maxHeaderCount;
  server.maxConnections = listen.maxConnections;
  // Inactivity on a socket (no bytes either way) for this long closes it.
  server.timeout = listen.idleTimeout * 1000;

  /** Upgrade requests not yet answered, and upgraded connections: the drain counts and cuts them. */
  const upgrading = new Set<Duplex>();
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // An upgrade pipelined behind a request still being answered on this connection: Node hands it
    // over at once, while the socket still belongs to that response (assigning it again would throw,
    // uncaught). It is taken up once that answer is written; if the connection closes first, it is gone.
    const pending = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    // An answer that closed the connection (Node ends the socket on its 'finish' first) leaves the
    // upgrade unserved, like a request pipelined behind it.
    if (pending && !pending.writableFinished)
      pending.once('finish', () => (socket.writable && !socket.destroyed ? takeUpgrade(req, socket, head) : socket.destroy()));
    else takeUpgrade(req, socket, head);
  };
  server.on('upgrade', onUpgrade);
  // CONNECT (Node hands it over like an upgrade; without a listener it would close the socket with
  // no answer): decided by the same pipeline, which never passes it on, so the catalogue answers.
  server.on('connect', onUpgrade);
  const takeUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // The same pipeline decides; a refusal is an ordinary response on this socket, an allowed
    // upgrade is taken over by the forwarder.
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    // In flight (drain) from here until the gateway's or the upstream's answer is written or the
    // socket closes; an upgraded connection stays in the set until it closes.
    upgrading.add(socket);
    const settled = () => upgrading.delete(socket);
    res.once('finish', () => {
      settled();
      socket.end();
    });
    socket.once('close', settled);
    socket.on('error', () => socket.destroy());
    void listenerForUpgrade(req, res, socket, head);
  };
  const listenerForUpgrade = (req: http.IncomingMessage, res: http.ServerResponse, socket: Duplex, head: Buffer) =>
    unreadable.listener((r, env) => {
      const bindings: NodeBindings = { ...(env as NodeBindings), upgrade: { socket, head } };
      const refused =
        refuseDuplicateHost(r, req, logger) ??
        refuseH2c(r, req, logger) ??
        refuseHttp10Upgrade(r, req, logger) ??
        (draining ? refuseDraining(r, req, logger) : undefined);
      if (refused) return refused;
      rememberBindings(r, bindings);
      return current.app.fetch(r, bindings);
    })(req, res);

  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
    server.listen(opts.port ?? listen.port, opts.host ?? listen.host);
  });
  const host = opts.host ?? listen.host;
  const actual = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
  logger.info('gateway listening', { url, apps: opts.config.apps.map((a) => a.id), pid: process.pid });

  // The admin listener: loopback by default, never the public port.
  let admin: http.Server | undefined;
  let adminUrl: string | undefined;
  const adminListen = opts.config.admin.listen;
  if (adminListen) {
    const handler = createAdminHandler(() => current.gw);
    admin = http.createServer(getRequestListener((req) => handler(req)));
    await new Promise<void>((resolve, reject) => {
      admin!.once('listening', () => resolve());
      admin!.once('error', reject);
      admin!.listen(adminListen.port, adminListen.host);
    });
    const adminPort = (admin.address() as AddressInfo).port;
    adminUrl = `http://${adminListen.host.includes(':') ? `[${adminListen.host}]` : adminListen.host}:${adminPort}`;
    logger.info('admin listener', { url: adminUrl });
  }

  const closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  // The admin listener stays up while draining, so readiness can say "draining"; it closes last.
  /** Cuts what is still open, then closes the admin listener, the upstream pools and the store client. */
  const stopNow = async (serverClosed: Promise<void>) => {
    upgradeRegistry.close();
    forwarder.destroyUpgrades();
    // Upgrade requests still waiting for the upstream: closing the client aborts the upstream request.
    for (const socket of upgrading) socket.destroy();
    server.closeAllConnections();
    await serverClosed;
    await closeAdmin();
    await forwarder.close().catch(() => {});
    await closeNodeStore(opts.env ?? process.env).catch(() => {});
  };
  const closeAdmin = () => {
    if (!admin) return Promise.resolve();
    const closed = new Promise<void>((resolve) => admin!.close(() => resolve()));
    admin.closeAllConnections();
    return closed;
  };

  return {
    url,
    port: actual,
    adminUrl,
    gateway: () => current.gw,
    draining: () => draining,
    async reload() {
      if (!opts.loadConfig) return false;
      try {
        const config = await opts.loadConfig();
        current = await build(config);
        logger.info('config reloaded', { apps: config.apps.map((a) => a.id) });
        metrics.configReloads.inc({ outcome: 'applied' });
        audit({ type: 'config-reload', time: new Date().toISOString(), decision: 'applied', apps: config.apps.map((a) => a.id) });
        return true;
      } catch (e) {
        logger.error('config reload refused; the running config stays in force', { error: (e as Error).message });
        metrics.configReloads.inc({ outcome: 'refused' });
        audit({ type: 'config-reload', time: new Date().toISOString(), decision: 'refused', reason: (e as Error).message.split('\n')[0] });
        return false;
      }
    },
    async drain(timeoutMs = listen.shutdownTimeout * 1000) {
      draining = true;
      const closed = closeServer();
      server.closeIdleConnections();
      const deadline = Date.now() + timeoutMs;
      while (inFlight + upgrading.size > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        // Keep-alive sockets that just finished a response are idle now: close them.
        server.closeIdleConnections();
      }
      const cut = inFlight + upgrading.size;
      await stopNow(closed);
      logger.info('gateway stopped', { cut, pid: process.pid });
      return { cut };
    },
    async close() {
      draining = true;
      await stopNow(closeServer());
    },
  };
}

function newBindings(incoming: http.IncomingMessage, outgoing: http.ServerResponse): NodeBindings {
  return { incoming, outgoing, upgrade: undefined, close: { closed: false, onClose: undefined, direct: true } };
}

/**
 * A request body nobody read to the end (the upstream answered before taking it all): read and
 * dropped, so the connection can carry the next request, as @hono/node-server's listener does;
 * the socket is closed when that takes over half a second or 64 MB. Two turns later, so a reader
 * still at work finishes first.
 */
function drainUnread(incoming: http.IncomingMessage): void {
  setTimeout(() => {
    if (incoming.readableEnded) return;
    setTimeout(() => {
      if (incoming.readableEnded || incoming.destroyed) return;
      let bytes = 0;
      const stop = () => {
        clearTimeout(timer);
        incoming.off('data', count);
        incoming.off('end', stop);
        incoming.off('error', stop);
      };
      const cut = () => {
        stop();
        const socket = incoming.socket as (Socket & { destroySoon?: () => void }) | null;
        if (socket && !socket.destroyed) socket.destroySoon ? socket.destroySoon() : socket.destroy();
      };
      const count = (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > 64 * 1024 * 1024) cut();
      };
      const timer = setTimeout(cut, 500);
      timer.unref();
      incoming.on('data', count).on('end', stop).on('error', stop);
      incoming.resume();
    });
  });
}

type NodeListener = (incoming: http.IncomingMessage, outgoing: http.ServerResponse) => Promise<void>;

/**
 * A request @hono/node-server cannot make a URL of (a Host that is no host name, a backslash in the
 * path, an absolute target of another scheme, HTTP/1.0 without a Host) is refused by it before our
 * code runs, with a bare 400. Its `errorHandler` gives that the catalogue's 400 (page or JSON, with
 * a request id) and a log line, like every other refusal; an error of our own gets the catalogue's
 * 500. The listener calls the handler synchronously, inside the call `listener` marks, so the request
 * that failed is known without a Request object.
 */
function unreadableRequests(logger: Logger) {
  let reading: http.IncomingMessage | undefined;
  const errorHandler = (e: unknown, incoming = reading): Response => {
    const requestId = newRequestId();
    const accept = incoming?.headers.accept;
    // Only what the answer is negotiated on: the method (HEAD has no body) and Accept.
    const negotiation = new Request('http://unreadable.invalid/', {
      method: incoming?.method === 'HEAD' ? 'HEAD' : 'GET',
      headers: typeof accept === 'string' ? { accept } : {},
    });
    if (e instanceof RequestError) {
      logger.warn('request refused', { requestId, reason: e.message, method: incoming?.method });
      return errorResponse(negotiation, 'bad_request', {
        requestId,
        detail: UNREADABLE_DETAIL.get(e.message) ?? 'The request target or Host header is malformed.',
      });
    }
    logger.error('unhandled error', { requestId, error: e instanceof Error ? e.message : String(e) });
    return errorResponse(negotiation, 'internal_error', { requestId });
  };
  /** @hono/node-server's listener for `fetchCallback`, with this errorHandler. */
  const listener = (fetchCallback: Parameters<typeof getRequestListener>[0]): NodeListener => {
    const inner = getRequestListener(fetchCallback, { errorHandler });
    return (incoming, outgoing) => {
      reading = incoming;
      try {
        return inner(incoming, outgoing);
      } finally {
        reading = undefined;
      }
    };
  };
  return { errorHandler, listener };
}

/** @hono/node-server's RequestError messages, said for the client. */
const UNREADABLE_DETAIL = new Map([
  ['Invalid host header', 'The Host header is not a host name (with an optional port).'],
  ['Missing host header', 'The request has no Host header.'],
  ['Backslash in request path', 'The request path contains a backslash.'],
  ['Invalid URL', 'The request target is not a valid path.'],
  ['Invalid absolute URL', 'The absolute request target is not a valid URL.'],
]);

/** RFC 9112 §3.2: more than one Host line is a bad request, whichever of them we would believe. */
function refuseDuplicateHost(req: Request, incoming: http.IncomingMessage, logger: Logger): Response | undefined {
  let n = 0;
  const raw = incoming.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') n++;
  if (n <= 1) return undefined;
  return refusal(req, incoming, logger, 'duplicate Host header', 'bad_request', 'The request has more than one Host header.');
}

/** A request the listener refuses before the gateway decides: the catalogue's answer and its `request refused` line. */
function refusal(req: Request, incoming: http.IncomingMessage, logger: Logger, reason: string, code: ErrorCode, detail: string): Response {
  const requestId = newRequestId();
  logger.warn('request refused', { requestId, reason, method: incoming.method });
  return errorResponse(req, code, { requestId, detail });
}

/**
 * `Upgrade: h2c` (HTTP/2 over cleartext, alone or among other offers) is refused: once an upstream
 * switched, the tunnel would carry HTTP/2 requests the gateway never sees, for any path and with any
 * identity headers (h2c smuggling). The offer is optional (RFC 9113 §3.1 deprecates it), so clients
 * that make it also work without it.
 */
function refuseH2c(req: Request, incoming: http.IncomingMessage, logger: Logger): Response | undefined {
  const offer = incoming.headers.upgrade;
  if (offer === undefined || !/(?:^|,)[\t ]*h2c[\t ]*(?:,|$)/i.test(offer)) return undefined;
  return refusal(req, incoming, logger, 'Upgrade: h2c', 'bad_request', 'The gateway does not switch to HTTP/2 (Upgrade: h2c); send the request without it.');
}

/** RFC 9110 §7.8: Upgrade is for HTTP/1.1; an HTTP/1.0 upgrade would reach the upstream as a 1.1 one. */
function refuseHttp10Upgrade(req: Request, incoming: http.IncomingMessage, logger: Logger): Response | undefined {
  if (incoming.httpVersion !== '1.0' || incoming.headers.upgrade === undefined) return undefined;
  return refusal(req, incoming, logger, 'Upgrade on HTTP/1.0', 'bad_request', 'Upgrade needs HTTP/1.1; send the request as HTTP/1.1.');
}

/** A new upgrade while draining: it would outlive the drain, so the catalogue's 503 (readiness says the same). */
function refuseDraining(req: Request, incoming: http.IncomingMessage, logger: Logger): Response {
  return refusal(req, incoming, logger, 'draining', 'not_ready', 'draining');
}
