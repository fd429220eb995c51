/**
 * BENCH_SOCKET_LOG=<file>: every upstream connection undici opens in this process, and its close,
 * appended there as JSON lines ({ who, pid, event: connect | close, t: CLOCK_MONOTONIC ms, open }),
 * so bench/half-load-report.mjs can line connection churn up with the slow requests. Used by the
 * gateway (bench/gateway-process.mjs) and the raw undici proxy (bench/peers.ts) alike.
 */
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export function logUpstreamSockets(who) {
  const file = process.env.BENCH_SOCKET_LOG;
  if (!file) return;
  const origin = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  const t = () => +(performance.now() + origin).toFixed(3);
  let open = 0;
  let pending = '';
  const note = (event) => {
    pending += `${JSON.stringify({ who, pid: process.pid, event, t: t(), open })}\n`;
  };
  subscribe('undici:client:connected', ({ socket }) => {
    open++;
    note('connect');
    socket.once('close', () => {
      open--;
      note('close');
    });
  });
  setInterval(() => {
    if (pending) appendFileSync(file, pending);
    pending = '';
  }, 1000).unref();
}
