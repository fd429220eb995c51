/**
 * The gateway's metrics: what the request core counts and times. The families are bounded by the
 * config (app ids) and by fixed sets (answers, status classes, outcomes), never by users or paths.
 * Runtimes inject an implementation (Node: Prometheus, ./prometheus.ts); without one nothing is kept.
 */
export interface Counter<L extends string> {
  inc(labels: Record<L, string>, by?: number): void;
  /** Current value (tests, readiness). */
  get(labels: Record<L, string>): number;
}

export interface Histogram<L extends string> {
  /** Observes a duration in seconds. */
  observe(labels: Record<L, string>, seconds: number): void;
  count(labels: Record<L, string>): number;
}

export interface Gauge<L extends string> {
  set(labels: Record<L, string>, value: number): void;
}

/** Why the gateway itself ended an upgraded connection (`upgrades_closed_total{reason}`). */
export const UPGRADE_END_REASONS = ['revoked', 'lifetime', 'drain'] as const;
export type UpgradeEnd = (typeof UPGRADE_END_REASONS)[number];

/** Upgraded connections open now, and those the gateway ended, by why (a close by either peer is not counted). */
export interface UpgradeStats {
  open: number;
  closed: Readonly<Record<UpgradeEnd, number>>;
}

/** Statistics the running gateway keeps itself, read at scrape time (replaced on each config reload). */
export interface MetricSources {
  tokens?: () => { cacheHits: number; cacheMisses: number };
  users?: () => { calls: number; memoryHits: number; sharedHits: number };
  sessions?: () => { hits: number; misses: number };
  /** Upgraded connections (WebSockets): open now, and those the gateway ended by why (Node). */
  upgrades?: () => UpgradeStats;
}

export interface GatewayMetrics {
  /** The exposition text (Prometheus 0.0.4), or '' when nothing is kept. */
  render(): string;
  sources: MetricSources;
  requests: Counter<'app' | 'answer' | 'status_class'>;
  requestDuration: Histogram<'app'>;
  upstreamDuration: Histogram<'app'>;
  upstreamErrors: Counter<'app' | 'kind'>;
  signIns: Counter<'outcome' | 'reason'>;
  refreshes: Counter<'outcome'>;
  idpDuration: Histogram<'call'>;
  idpErrors: Counter<'call'>;
  adminDuration: Histogram<'operation'>;
  adminErrors: Counter<'operation'>;
  jwksFetches: Counter<'outcome'>;
  storeErrors: Counter<'op'>;
  configReloads: Counter<'outcome'>;
  buildInfo: Gauge<'version' | 'runtime'>;
}

const noCounter = { inc() {}, get: () => 0 };
const noHistogram = { observe() {}, count: () => 0 };

/** Keeps nothing (Workers, library use without metrics). */
export function noMetrics(): GatewayMetrics {
  return {
    render: () => '',
    sources: {},
    requests: noCounter,
    requestDuration: noHistogram,
    upstreamDuration: noHistogram,
    upstreamErrors: noCounter,
    signIns: noCounter,
    refreshes: noCounter,
    idpDuration: noHistogram,
    idpErrors: noCounter,
    adminDuration: noHistogram,
    adminErrors: noCounter,
    jwksFetches: noCounter,
    storeErrors: noCounter,
    configReloads: noCounter,
    buildInfo: { set() {} },
  };
}

/** `2xx` … `5xx`. */
export function statusClass(status: number): string {
  return STATUS_CLASSES[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`;
}
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** A bounded name for an IdP call from its URL (never the URL itself). */
export function idpCallName(url: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '').split('?')[0]!;
  if (path.endsWith('/.well-known/openid-configuration')) return 'discovery';
  if (path.endsWith('/jwks.json') || path.endsWith('/jwks')) return 'jwks';
  for (const name of ['token', 'revoke', 'userInfo', 'userinfo', 'logout', 'authorize']) if (path.endsWith(`/${name}`)) return name.toLowerCase();
  return 'other';
}
