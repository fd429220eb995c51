/**
 * The Prometheus implementation of the gateway's metrics (src/metrics/index.ts), written out in the
 * text exposition format 0.0.4. Web APIs only; the Node entry uses it (the Worker, which has no admin
 * listener, keeps the no-op set and so a smaller bundle). Label values come from the config (app ids, policy names) or from small
 * fixed sets (answers, status classes, outcomes), never from users, paths or tokens, so cardinality
 * is bounded by the config.
 */

type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
const labelText = (names: readonly string[], values: readonly string[], extra = '') => {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, ''));

const labelValues = (names: readonly string[], labels: Labels) => names.map((n) => labels[n] ?? '');

/**
 * A family's series: found by walking one Map per label (each value is a string the caller already
 * holds, so no key is built per count), kept in first-seen order for the exposition.
 */
class Series<E extends { labels: string[] }> {
  private readonly root = new Map<string, unknown>();
  private only: E | undefined;
  readonly entries: E[] = [];

  constructor(private readonly names: readonly string[]) {}

  get(labels: Labels): E | undefined {
    const { names } = this;
    if (names.length === 0) return this.only;
    let node: unknown = this.root;
    for (let i = 0; i < names.length; i++) {
      node = (node as Map<string, unknown>).get(labels[names[i]!] ?? '');
      if (node === undefined) return undefined;
    }
    return node as E;
  }

  /** Adds the entry of labels not seen before (get returned undefined). */
  add(entry: E): E {
    const values = entry.labels;
    if (values.length === 0) this.only = entry;
    else {
      let node = this.root;
      for (let i = 0; i < values.length - 1; i++) {
        let next = node.get(values[i]!) as Map<string, unknown> | undefined;
        if (!next) {
          next = new Map();
          node.set(values[i]!, next);
        }
        node = next;
      }
      node.set(values[values.length - 1]!, entry);
    }
    this.entries.push(entry);
    return entry;
  }
}

interface Family {
  render(out: string[]): void;
}

import { UPGRADE_END_REASONS, type Counter, type Gauge, type GatewayMetrics, type Histogram, type MetricSources } from './index';

export class MetricsRegistry {
  private readonly families: Family[] = [];

  constructor(private readonly prefix: string) {}

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    const full = `${this.prefix}${name}`;
    const values = new Series<{ labels: string[]; value: number }>(labelNames);
    this.families.push({
      render(out) {
        out.push(`# HELP ${full} ${help}`, `# TYPE ${full} counter`);
        for (const v of values.entries) out.push(`${full}${labelText(labelNames, v.labels)} ${num(v.value)}`);
      },
    });
    return {
      inc(labels, by = 1) {
        const entry = values.get(labels);
        if (entry) entry.value += by;
        else values.add({ labels: labelValues(labelNames, labels), value: by });
      },
      get: (labels) => values.get(labels)?.value ?? 0,
    };
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L> {
    const full = `${this.prefix}${name}`;
    const values = new Series<{ labels: string[]; counts: number[]; sum: number; count: number }>(labelNames);
    this.families.push({
      render(out) {
        out.push(`# HELP ${full} ${help}`, `# TYPE ${full} histogram`);
        for (const v of values.entries) {
          let cumulative = 0;
          buckets.forEach((b, i) => {
            cumulative += v.counts[i]!;
            out.push(`${full}_bucket${labelText(labelNames, v.labels, `le="${num(b)}"`)} ${cumulative}`);
          });
          out.push(`${full}_bucket${labelText(labelNames, v.labels, 'le="+Inf"')} ${v.count}`);
          out.push(`${full}_sum${labelText(labelNames, v.labels)} ${num(v.sum)}`, `${full}_count${labelText(labelNames, v.labels)} ${v.count}`);
        }
      },
    });
    return {
      observe(labels, seconds) {
        const entry = values.get(labels) ?? values.add({ labels: labelValues(labelNames, labels), counts: buckets.map(() => 0), sum: 0, count: 0 });
        for (let i = 0; i < buckets.length; i++) {
          if (seconds <= buckets[i]!) {
            entry.counts[i]!++;
            break;
          }
        }
        entry.sum += seconds;
        entry.count++;
      },
      count: (labels) => values.get(labels)?.count ?? 0,
    };
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    const full = `${this.prefix}${name}`;
    const values = new Series<{ labels: string[]; value: number }>(labelNames);
    this.families.push({
      render(out) {
        out.push(`# HELP ${full} ${help}`, `# TYPE ${full} gauge`);
        for (const v of values.entries) out.push(`${full}${labelText(labelNames, v.labels)} ${num(v.value)}`);
      },
    });
    return {
      set(labels, value) {
        const entry = values.get(labels);
        if (entry) entry.value = value;
        else values.add({ labels: labelValues(labelNames, labels), value });
      },
    };
  }

  /** A counter (or gauge) whose value is read at scrape time (totals kept elsewhere, e.g. cache statistics). */
  collected(name: string, help: string, labelNames: readonly string[], read: () => Array<[string[], number]>, type: 'counter' | 'gauge' = 'counter'): void {
    const full = `${this.prefix}${name}`;
    this.families.push({
      render(out) {
        out.push(`# HELP ${full} ${help}`, `# TYPE ${full} ${type}`);
        for (const [labels, value] of read()) out.push(`${full}${labelText(labelNames, labels)} ${num(value)}`);
      },
    });
  }

  /** The text exposition format (Content-Type `text/plain; version=0.0.4`). */
  render(): string {
    const out: string[] = [];
    for (const f of this.families) f.render(out);
    return `${out.join('\n')}\n`;
  }
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The gateway's metric families. One set per process (or Workers isolate), kept across config reloads. */
export function createGatewayMetrics(): GatewayMetrics {
  const r = new MetricsRegistry('cognito_gateway_');
  const sources: MetricSources = {};
  r.collected('cache_lookups_total', 'Cache look-ups by cache (tokens, users, sessions) and result (hit, miss).', ['cache', 'result'], () => {
    const rows: Array<[string[], number]> = [];
    const t = sources.tokens?.();
    if (t) rows.push([['tokens', 'hit'], t.cacheHits], [['tokens', 'miss'], t.cacheMisses]);
    const u = sources.users?.();
    if (u) rows.push([['users', 'hit'], u.memoryHits + u.sharedHits], [['users', 'miss'], u.calls]);
    const s = sources.sessions?.();
    if (s) rows.push([['sessions', 'hit'], s.hits], [['sessions', 'miss'], s.misses]);
    return rows;
  });
  r.collected(
    'upgrades_open',
    'Upgraded connections (WebSockets) open now.',
    [],
    () => {
      const u = sources.upgrades?.();
      return u ? [[[], u.open]] : [];
    },
    'gauge',
  );
  r.collected('upgrades_closed_total', 'Upgraded connections the gateway ended, by reason (revoked, lifetime, drain).', ['reason'], () => {
    const u = sources.upgrades?.();
    return u ? UPGRADE_END_REASONS.map((reason) => [[reason], u.closed[reason]]) : [];
  });
  return {
    render: () => r.render(),
    sources,
    requests: r.counter('requests_total', 'Requests answered, by app, answer and status class.', ['app', 'answer', 'status_class']),
    requestDuration: r.histogram('request_duration_seconds', 'Time from request to response headers, by app.', ['app'], LATENCY_BUCKETS),
    upstreamDuration: r.histogram('upstream_duration_seconds', 'Time to the upstream response headers, by app.', ['app'], LATENCY_BUCKETS),
    upstreamErrors: r.counter('upstream_errors_total', 'Upstream connection failures and time-outs, by app and kind.', ['app', 'kind']),
    signIns: r.counter('sign_ins_total', 'Sign-ins started, completed and failed (failed: by error code).', ['outcome', 'reason']),
    refreshes: r.counter('refreshes_total', 'Session refreshes by outcome.', ['outcome']),
    idpDuration: r.histogram('idp_request_duration_seconds', 'Calls to the identity provider, by call.', ['call'], LATENCY_BUCKETS),
    idpErrors: r.counter('idp_errors_total', 'Identity-provider calls that failed (network or 5xx), by call.', ['call']),
    adminDuration: r.histogram('admin_api_duration_seconds', 'Cognito admin-API calls, by operation.', ['operation'], LATENCY_BUCKETS),
    adminErrors: r.counter('admin_api_errors_total', 'Cognito admin-API calls that failed (network or 5xx), by operation.', ['operation']),
    jwksFetches: r.counter('jwks_fetches_total', 'JWKS fetches by outcome.', ['outcome']),
    storeErrors: r.counter('store_errors_total', 'Shared-store calls that failed or timed out, by operation.', ['op']),
    configReloads: r.counter('config_reloads_total', 'Config reloads by outcome.', ['outcome']),
    buildInfo: r.gauge('build_info', 'Always 1; the labels say what runs.', ['version', 'runtime']),
  };
}
