/**
 * The Cloudflare Workers entry: the same Hono app as on Node, built from the same config format.
 *
 * - Config text: the `GATEWAY_CONFIG` var (YAML or JSON text) or, failing that, a file bundled into
 *   the Worker (see worker-demo.ts for the pattern). `${VAR}` interpolation and the secret variables
 *   (GATEWAY_CLIENT_SECRET, GATEWAY_COOKIE_SECRETS, GATEWAY_ASSERTION_KEYS) read the Worker's env:
 *   its vars and secrets.
 * - The gateway is built once per isolate and reused; it is rebuilt when the config text or any
 *   string var/secret changes. A build that fails is not cached: the next request tries again.
 * - Upstreams and the IdP are reached with the global fetch (called unbound: workerd throws
 *   "Illegal invocation" for `obj.fetch(...)` on the global), or through a service binding for the
 *   upstream origins listed in `GATEWAY_SERVICE_UPSTREAMS`.
 * - WebSocket upgrades: the upstream's WebSocket is relayed through a WebSocketPair, so the gateway
 *   can close it (1008 "expired") when the credentials behind it end (see webSocketForwarder).
 * - Client address and country: CF-Connecting-IP / CF-IPCountry, set by Cloudflare's edge.
 * - JWKS and verified tokens: isolate memory first, the Cache API (`caches.default`) second.
 * - Logs: JSON lines on the console (Workers Logs / `wrangler tail`). Never a stack trace to the client.
 *
 * Only Web APIs: no Node built-ins (the build checks the bundle).
 */
import { loadConfig, type Env as ConfigEnv } from '../config/load';
import { createGateway, createGatewayApp } from '../gateway/app';
import type { RuntimeDeps } from '../gateway/context';
import { errorResponse, newRequestId } from '../http';
import { edgeClientAddress } from '../policy';
import {
  downstreamResponse,
  fetchForwarder,
  isWebSocketOffer,
  sendUpstream,
  upstreamRequestHeaders,
  withGatewayHeaders,
  type Forwarder,
  type ForwardOptions,
} from '../proxy';
import { createLogger, type Logger } from '../log';
import { createCacheApiSharedCache } from './cache-api';
import { createDurableObjectStore, type DurableObjectNamespaceLike } from '../store/durable-object';

/** The Durable Object class behind `store.type: durable-object` (bound as GATEWAY_STORE in wrangler.toml). */
export { GatewayStoreObject } from '../store/durable-object';

/** A service binding (or any fetcher binding) as the runtime hands it over. */
export interface FetcherLike {
  fetch(input: Request | string | URL, init?: RequestInit): Promise<Response>;
}

export interface WorkerEnv {
  /** The gateway config as YAML (or JSON) text. Wins over a bundled file. */
  GATEWAY_CONFIG?: string;
  /** The Durable Object namespace of GatewayStoreObject, for `store.type: durable-object`. */
  GATEWAY_STORE?: DurableObjectNamespaceLike;
  /**
   * Upstream origins reached through service bindings instead of the network, comma-separated
   * `ORIGIN=BINDING` pairs, e.g. `https://app.internal=APP`: an app with `upstream: https://app.internal`
   * is then served by `env.APP.fetch(...)`.
   */
  GATEWAY_SERVICE_UPSTREAMS?: string;
  [name: string]: unknown;
}

/** The part of the Workers ExecutionContext the entry uses. */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException?(): void;
}

export interface WorkerOptions {
  /** Config text bundled into the Worker (a wrangler Text rule import); GATEWAY_CONFIG wins over it. */
  bundledConfig?: string;
  /** Name of the bundled file, for config error messages. */
  bundledSource?: string;
}

export interface WorkerHandler {
  fetch(request: Request, env: WorkerEnv, ctx?: ExecutionContextLike): Promise<Response>;
}

type Built = { app: ReturnType<typeof createGatewayApp>; logger: Logger };

const consoleLogger = createLogger({ level: 'info' });

/** Only string values take part in `${VAR}` interpolation and secrets; bindings are objects. */
export function stringVars(env: WorkerEnv): ConfigEnv {
  const out: ConfigEnv = {};
  for (const [k, v] of Object.entries(env ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Parses `ORIGIN=BINDING, ORIGIN=BINDING` into origin → binding name. */
export function parseServiceUpstreams(text: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of (text ?? '').split(/[\s,]+/).filter(Boolean)) {
    const eq = pair.lastIndexOf('=');
    if (eq <= 0) throw new Error(`GATEWAY_SERVICE_UPSTREAMS: "${pair}" is not ORIGIN=BINDING`);
    let origin: string;
    try {
      origin = new URL(pair.slice(0, eq)).origin;
    } catch {
      throw new Error(`GATEWAY_SERVICE_UPSTREAMS: "${pair.slice(0, eq)}" is not a URL`);
    }
    map.set(origin, pair.slice(eq + 1));
  }
  return map;
}

/** The global fetch, called unbound (never as a method of another object). */
const globalFetch: typeof fetch = (input, init) => fetch(input, init);

/** Upstream fetch: service bindings for the configured origins, the network for the rest. */
export function createUpstreamFetch(env: WorkerEnv): typeof fetch {
  const services = parseServiceUpstreams(env.GATEWAY_SERVICE_UPSTREAMS);
  if (services.size === 0) return globalFetch;
  for (const [origin, name] of services) {
    const binding = env[name] as Partial<FetcherLike> | undefined;
    if (!binding || typeof binding.fetch !== 'function') {
      throw new Error(`GATEWAY_SERVICE_UPSTREAMS maps ${origin} to "${name}", but the Worker has no service binding by that name`);
    }
  }
  return ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const name = services.get(new URL(url).origin);
    if (!name) return fetch(input, init);
    const binding = env[name] as FetcherLike;
    return binding.fetch(input instanceof Request ? input : new Request(url, init), input instanceof Request ? init : undefined);
  }) as typeof fetch;
}

/** The handshake headers workerd's fetch writes itself for the upstream leg (key, version, extensions). */
const HANDSHAKE_HEADERS = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-accept'];

/** Workers' WebSocket as these functions use it (the workers-types global is not in the project's lib). */
interface WorkerSocket {
  accept(): void;
  binaryType: string;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', fn: (e: { data: string | ArrayBuffer }) => void): void;
  addEventListener(type: 'close', fn: (e: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', fn: (e: unknown) => void): void;
}
type WorkerSocketPair = { 0: WorkerSocket; 1: WorkerSocket };
type UpgradedResponse = Response & { webSocket?: WorkerSocket | null };

/** A close code an endpoint may send (RFC 6455 §7.4): 1005, 1006 and 1015 only ever describe a close. */
function sendableCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

function closeQuietly(ws: WorkerSocket, code?: number, reason?: string): void {
  try {
    if (code === undefined) ws.close();
    else ws.close(code, reason);
  } catch {
    // Already closed (or closing): nothing to tell it.
  }
}

/** Passes one side's close on to the other: the same code and reason where they may be sent. */
function passClose(to: WorkerSocket, code: number, reason: string): void {
  if (sendableCode(code)) closeQuietly(to, code, reason);
  else if (code === 1005) closeQuietly(to);
  else closeQuietly(to, 1001, 'peer went away'); // 1006: the other side vanished without a close frame
}

/**
 * The Workers forwarder: the fetch forwarder, and for `Upgrade: websocket` the upstream's WebSocket
 * relayed through a WebSocketPair. The upgrade request gets the same header edits as any request
 * (identity headers stripped and set, X-Forwarded-*, request id, assertion, gateway cookies
 * removed) plus `Upgrade: websocket`; workerd's fetch does the upstream handshake. Messages are
 * copied both ways (text as text, binary as binary), a close on one side closes the other, and
 * when `closeAfterMs` is given both sides are closed with 1008 "expired" then. An upstream that
 * does not switch protocols is answered as on the plain path; a failed fetch is the same
 * UpstreamError (502/504 from the catalogue). Revocation notices are per isolate on Workers, so
 * no revocation closes a relayed WebSocket: it ends at the credentials' end.
 */
export function webSocketForwarder(fetchImpl: typeof fetch): Forwarder {
  const plain = fetchForwarder(fetchImpl, { keepContentEncoding: true });
  return async (req, opts) => {
    if (!isWebSocketOffer(req.headers.get('upgrade'))) return plain(req, opts);
    let out: Response;
    const problem = handshakeProblem(req);
    if (problem !== undefined) {
      // workerd would refuse this handshake itself, but only after the upstream had upgraded.
      out = errorResponse(req, 'bad_request', { requestId: opts.requestId, detail: problem });
    } else {
      const fwd: ForwardOptions = { ...opts, fetch: fetchImpl, keepContentEncoding: true };
      const headers = upstreamRequestHeaders(req.headers, fwd);
      for (const name of HANDSHAKE_HEADERS) headers.delete(name);
      headers.set('upgrade', 'websocket');
      const upstream = (await sendUpstream(req, fwd, headers)) as UpgradedResponse;
      const upstreamSocket = upstream.status === 101 ? upstream.webSocket : undefined;
      out = upstreamSocket ? relay(upstream, upstreamSocket, opts.closeAfterMs) : downstreamResponse(upstream, fwd);
    }
    return withGatewayHeaders(out, opts);
  };
}

/**
 * What is wrong with the client's opening handshake (RFC 6455 §4.1), if anything. (The method is
 * not checked: workerd hands a Worker a POST WebSocket handshake as a GET, and refuses the client
 * itself once the Worker answers.)
 */
function handshakeProblem(req: Request): string | undefined {
  if (req.headers.get('sec-websocket-version')?.trim() !== '13') return 'A WebSocket handshake needs Sec-WebSocket-Version: 13.';
  if (!req.headers.get('sec-websocket-key')?.trim()) return 'A WebSocket handshake needs a Sec-WebSocket-Key.';
  return undefined;
}

/** The client's 101: one end of a WebSocketPair, whose other end is wired to the upstream's socket. */
function relay(upstream: Response, upstreamSocket: WorkerSocket, closeAfterMs: number | undefined): Response {
  const Pair = (globalThis as unknown as { WebSocketPair: new () => WorkerSocketPair }).WebSocketPair;
  const pair = new Pair();
  const client = pair[0];
  const server = pair[1];
  upstreamSocket.accept();
  server.accept();
  // Binary messages arrive as ArrayBuffers (under the standard default, Blobs, which send() would stringify).
  upstreamSocket.binaryType = 'arraybuffer';
  server.binaryType = 'arraybuffer';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ended = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const pass = (to: WorkerSocket) => (e: { data: string | ArrayBuffer }) => {
    try {
      to.send(e.data);
    } catch {
      // The other side is closing: its close event ends this one too.
    }
  };
  server.addEventListener('message', pass(upstreamSocket));
  upstreamSocket.addEventListener('message', pass(server));
  server.addEventListener('close', (e) => {
    ended();
    passClose(upstreamSocket, e.code, e.reason);
  });
  upstreamSocket.addEventListener('close', (e) => {
    ended();
    passClose(server, e.code, e.reason);
  });
  server.addEventListener('error', () => {
    ended();
    closeQuietly(upstreamSocket, 1001, 'peer went away');
  });
  upstreamSocket.addEventListener('error', () => {
    ended();
    closeQuietly(server, 1011, 'upstream error');
  });
  if (closeAfterMs !== undefined) {
    // setTimeout caps at ~24.8 days; a session is never that long.
    timer = setTimeout(
      () => {
        timer = undefined;
        closeQuietly(server, 1008, 'expired');
        closeQuietly(upstreamSocket, 1008, 'expired');
      },
      Math.max(0, Math.min(closeAfterMs, 2 ** 31 - 1)),
    );
  }
  const headers = new Headers();
  const protocol = upstream.headers.get('sec-websocket-protocol');
  if (protocol !== null) headers.set('sec-websocket-protocol', protocol);
  return new Response(null, { status: 101, webSocket: client, headers } as ResponseInit);
}

/** The request target (path + query) as the URL carries it: no `new URL()`, which would resolve dot segments. */
export function rawTargetOf(url: string): string {
  const schemeEnd = url.indexOf('://');
  const pathStart = url.indexOf('/', schemeEnd < 0 ? 0 : schemeEnd + 3);
  if (pathStart < 0) return '/';
  const hash = url.indexOf('#', pathStart);
  return hash < 0 ? url.slice(pathStart) : url.slice(pathStart, hash);
}

function workerStore(config: ReturnType<typeof loadConfig>, env: WorkerEnv) {
  if (config.store.type === 'memory') return undefined;
  if (config.store.type === 'redis') throw new Error('store.type redis is for Node; on Workers use durable-object (the GATEWAY_STORE binding)');
  if (!env.GATEWAY_STORE) throw new Error('store.type durable-object needs the GATEWAY_STORE Durable Object binding (see wrangler.toml)');
  return createDurableObjectStore(env.GATEWAY_STORE, { keyPrefix: config.store.keyPrefix });
}

function buildKey(text: string, vars: ConfigEnv): string {
  return JSON.stringify([text, Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

function misconfigured(request: Request, requestId: string): Response {
  return errorResponse(request, 'gateway_misconfigured', { requestId });
}

/** Cloudflare's edge sets CF-IPCountry; wrangler dev and Miniflare only fill request.cf.country. */
function cfCountry(req: Request): string | undefined {
  const country = (req as Request & { cf?: { country?: unknown } }).cf?.country;
  return typeof country === 'string' && /^[A-Z]{2}$/i.test(country) ? country.toUpperCase() : undefined;
}

export function createWorker(opts: WorkerOptions = {}): WorkerHandler {
  let current: { key: string; built: Promise<Built> } | undefined;

  const build = async (text: string, source: string, env: WorkerEnv, vars: ConfigEnv): Promise<Built> => {
    const config = loadConfig(text, vars, source);
    const logger = createLogger({ level: config.logLevel });
    const deps: RuntimeDeps = {
      // Workers pass encoded bodies through and re-encode by Content-Encoding themselves.
      forward: webSocketForwarder(createUpstreamFetch(env)),
      idpFetch: globalFetch,
      // Cloudflare's edge sets CF-Connecting-IP; a client cannot (the edge overwrites it).
      peerAddress: (req) => req.headers.get('cf-connecting-ip') ?? undefined,
      clientAddress: (req) => {
        const client = edgeClientAddress(req.headers);
        return { address: client.address, country: client.country ?? cfCountry(req) };
      },
      rawTarget: (req) => rawTargetOf(req.url),
      sharedCache: createCacheApiSharedCache({
        onError: (op, e) => logger.warn('cache api error', { op, error: e instanceof Error ? e.message : String(e) }),
      }),
      logger,
      // Vars and secrets: the admin API's COGNITO_ENDPOINT and AWS credentials (look-ups; password sign-in in the admin flow, not the user flow).
      env: vars,
      store: workerStore(config, env),
    };
    const gw = await createGateway(config, deps);
    logger.info('gateway built', { source, apps: config.apps.map((a) => a.id) });
    return { app: createGatewayApp(gw), logger };
  };

  return {
    async fetch(request, env, ctx) {
      const vars = stringVars(env);
      const text = vars.GATEWAY_CONFIG ?? opts.bundledConfig;
      const source = vars.GATEWAY_CONFIG !== undefined ? 'GATEWAY_CONFIG' : (opts.bundledSource ?? 'bundled config');
      if (text === undefined || text.trim() === '') {
        const requestId = newRequestId();
        consoleLogger.error('no gateway config: set the GATEWAY_CONFIG var or bundle a config file', { requestId });
        return misconfigured(request, requestId);
      }
      const key = buildKey(text, vars);
      if (!current || current.key !== key) {
        const entry = { key, built: build(text, source, env, vars) };
        current = entry;
        // A failed build is not kept: the next request tries again (after a config fix or deploy).
        entry.built.catch(() => {
          if (current === entry) current = undefined;
        });
      }
      let built: Built;
      try {
        built = await current.built;
      } catch (e) {
        const requestId = newRequestId();
        consoleLogger.error('gateway config refused', { requestId, source, error: e instanceof Error ? e.message : String(e) });
        return misconfigured(request, requestId);
      }
      try {
        return await built.app.fetch(request, env, ctx as never);
      } catch (e) {
        // Hono's onError already answers route errors; this is the last line of defence.
        const requestId = newRequestId();
        built.logger.error('unhandled error', { requestId, error: e instanceof Error ? e.message : String(e) });
        return errorResponse(request, 'internal_error', { requestId });
      }
    },
  };
}

export default createWorker();
