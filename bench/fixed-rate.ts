/**
 * A small open-loop load generator for the bench's latency-at-a-given-load row (wrk cannot hold a
 * fixed rate). Run in its own process:
 *
 *   node --import tsx bench/fixed-rate.ts <url> <rate per s> <seconds> <connections> [headers JSON]
 *
 * Requests are scheduled at `rate` per second from the start, whatever the server does; each
 * latency is measured from the request's scheduled time (not from when a connection was free), so a
 * stall shows in the tail instead of silently lowering the rate (no coordinated omission). Prints
 * one JSON line: { sent, completed, errors, non2xx, rps, p50, p90, p99, max } (milliseconds).
 */
import { Pool } from 'undici';

const [url, rateText, secondsText, connectionsText, headersText] = process.argv.slice(2);
const target = new URL(url!);
const rate = Number(rateText);
const seconds = Number(secondsText);
const headers = headersText ? (JSON.parse(headersText) as Record<string, string>) : {};
const pool = new Pool(target.origin, { connections: Number(connectionsText ?? 64), pipelining: 1, keepAliveTimeout: 60_000 });
const path = target.pathname + target.search;

const latencies: number[] = [];
let sent = 0;
let completed = 0;
let errors = 0;
let non2xx = 0;
const total = Math.round(rate * seconds);
const start = performance.now();

function send(scheduledAt: number): void {
  sent++;
  pool.request({ method: 'GET', path, headers }, (err, data) => {
    if (err) {
      errors++;
      finishOne(scheduledAt);
      return;
    }
    if (data.statusCode < 200 || data.statusCode >= 400) non2xx++;
    data.body.on('data', () => {});
    data.body.on('end', () => finishOne(scheduledAt));
    data.body.on('error', () => {
      errors++;
      finishOne(scheduledAt);
    });
  });
}

let resolveDone: () => void;
const allDone = new Promise<void>((r) => (resolveDone = r));
function finishOne(scheduledAt: number): void {
  latencies.push(performance.now() - scheduledAt);
  completed++;
  if (completed === total) resolveDone();
}

// Every millisecond or so, send what the schedule says is due by now.
function tick(): void {
  const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
  while (sent < due) send(start + (sent / rate) * 1000);
  if (sent < total) setTimeout(tick, 1);
}
tick();
await Promise.race([allDone, new Promise((r) => setTimeout(r, (seconds + 10) * 1000))]);
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! : Number.NaN);
console.log(
  JSON.stringify({
    sent,
    completed,
    errors,
    non2xx,
    rps: completed / elapsed,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
  }),
);
await pool.close();
process.exit(0);
