/**
 * What sets the half-load p99: `node bench/half-load-report.mjs <dir> [events]` reads what
 * `BENCH_FIXED_TRACE=<dir> npm run bench` left there (each run's requests from bench/fixed-rate.cc,
 * the gateway's GC pauses, all on CLOCK_MONOTONIC) and prints, per run, the p50/p99, how many of
 * the requests over the p99 overlapped a GC pause of the gateway (against how many of all
 * requests did), and the slowest stalls: runs of slow requests whose [due, done] intervals overlap,
 * each with its start, its worst latency, and the GC pauses inside it. With a CPU profile of the
 * gateway (BENCH_PROFILE=<dir>, the .cpuprofile passed as a third argument), each stall also names
 * the functions the profiler sampled during it (V8's profile clock is the same CLOCK_MONOTONIC, µs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, eventsArg, profilePath] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node bench/half-load-report.mjs <BENCH_FIXED_TRACE dir> [stalls to list] [gateway .cpuprofile]');
  process.exit(2);
}
const shown = Number(eventsArg ?? 8);

/** A gateway's GC pauses (<dir>/gateway-gc.jsonl, or compared-gc.jsonl for BENCH_COMPARE's), by start. */
function loadGc(row) {
  const file = join(dir, `${row}-gc.jsonl`);
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((p) => p.t !== undefined)
        .map((p) => ({ ...p, end: p.t + p.ms }))
        .sort((a, b) => a.t - b.t)
    : [];
}
const gcByRow = { gateway: loadGc('gateway'), compared: loadGc('compared'), raw: [] };

// The upstream connections each proxy opened and closed (BENCH_SOCKET_LOG, bench/socket-log.mjs),
// copied to <dir>/sockets.jsonl by bench/run.ts.
const socketFile = join(dir, 'sockets.jsonl');
const sockets = existsSync(socketFile)
  ? readFileSync(socketFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .map((e) => ({ ...e, end: e.t }))
      .sort((a, b) => a.t - b.t)
  : [];

const profile = profilePath ? loadProfile(profilePath) : undefined;

/** The profile's samples as [time ms CLOCK_MONOTONIC, function label], in time order. */
function loadProfile(path) {
  const p = JSON.parse(readFileSync(path, 'utf8'));
  const label = new Map(
    p.nodes.map((n) => {
      const f = n.callFrame;
      const file = f.url ? f.url.replace(/^.*\/(node_modules\/|dist\/|src\/)/, '$1') : '';
      return [n.id, `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`];
    }),
  );
  const samples = [];
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    samples.push([t / 1000, label.get(p.samples[i])]);
  }
  return samples;
}

function overlapping(list, from, to) {
  // list sorted by t; pauses are short, so a linear scan from a binary-searched start is enough.
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].end < from) lo = mid + 1;
    else hi = mid;
  }
  const out = [];
  for (let i = Math.max(0, lo - 8); i < list.length && list[i].t <= to; i++) if (list[i].end >= from) out.push(list[i]);
  return out;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const f = (n) => n.toFixed(2);

const files = readdirSync(dir)
  .filter((n) => /^(raw|gateway|compared)-\d+\.txt$/.test(n))
  .sort();
for (const name of files) {
  const reqs = readFileSync(join(dir, name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [due, sent, done, conn, status] = l.split(' ').map(Number);
      return { due, sent, done, conn, status, latency: done - due };
    })
    .sort((a, b) => a.due - b.due);
  const lat = reqs.map((r) => r.latency).sort((a, b) => a - b);
  const p50 = quantile(lat, 0.5);
  const p99 = quantile(lat, 0.99);
  const slow = reqs.filter((r) => r.latency >= p99);
  const rowName = name.split('-')[0];
  const isGateway = rowName !== 'raw';
  const gc = gcByRow[rowName];
  const samples = loadSamples(join(dir, `${name}.samples`));
  const proxyPid = samples ? Number(samples.pids[0]) : undefined;
  const churn = sockets.filter((e) => (proxyPid ? e.pid === proxyPid : e.who === (isGateway ? 'gateway' : 'raw-undici')));
  const withGc = (rs) => rs.filter((r) => overlapping(gc, r.due, r.done).length > 0).length;
  const span = (reqs[reqs.length - 1].due - reqs[0].due) / 1000;
  const gcIn = gc.filter((p) => p.t >= reqs[0].due && p.t <= reqs[reqs.length - 1].done);
  console.log(
    `\n${name}: ${reqs.length} requests over ${f(span)} s, p50 ${f(p50)} ms, p99 ${f(p99)} ms, p99.9 ${f(quantile(lat, 0.999))} ms, max ${f(lat[lat.length - 1])} ms; sent − due p99 (lateness and waits for a free connection; the generator's own lateness is its sendLagP99) ${f(
      quantile(
        reqs.map((r) => r.sent - r.due).sort((a, b) => a - b),
        0.99,
      ),
    )} ms`,
  );
  if (sockets.length > 0) {
    const inRun = churn.filter((e) => e.t >= reqs[0].due && e.t <= reqs[reqs.length - 1].done);
    const slowNearConnect = slow.filter((r) => overlapping(churn, r.due - 1, r.done).some((e) => e.event === 'connect')).length;
    console.log(
      `  upstream connections: ${inRun.filter((e) => e.event === 'connect').length} opened, ${inRun.filter((e) => e.event === 'close').length} closed in this run (${inRun.length ? inRun[inRun.length - 1].open : (churn.filter((e) => e.t < reqs[0].due).pop()?.open ?? '?')} open at its end); requests over the p99 with a connect during them: ${slowNearConnect} of ${slow.length}`,
    );
  }
  if (isGateway || gcIn.length > 0) {
    const pauses = gcIn.map((p) => p.ms).sort((a, b) => a - b);
    console.log(
      `  gateway GC pauses in this run: ${gcIn.length} (${pauses.length ? `median ${f(quantile(pauses, 0.5))} ms, max ${f(pauses[pauses.length - 1])} ms, ${f(pauses.reduce((a, b) => a + b, 0))} ms in all, every ${f((span * 1000) / Math.max(1, gcIn.length))} ms` : 'none'})`,
    );
    if (isGateway)
      console.log(
        `  requests over the p99 that overlapped a GC pause: ${withGc(slow)} of ${slow.length} (${f((100 * withGc(slow)) / slow.length)} %); of all requests: ${f((100 * withGc(reqs)) / reqs.length)} %`,
      );
  }
  if (samples) console.log(`  whole run: ${describeWindow(samples, reqs[0].due, reqs[reqs.length - 1].done)}`);
  // Stalls: slow requests whose [due, done] overlap, merged.
  const stalls = [];
  for (const r of slow) {
    const last = stalls[stalls.length - 1];
    if (last && r.due <= last.end) {
      last.end = Math.max(last.end, r.done);
      last.worst = Math.max(last.worst, r.latency);
      last.count++;
    } else stalls.push({ start: r.due, end: r.done, worst: r.latency, count: 1 });
  }
  // What started each stall: a GC pause of the proxy within 3 ms of its first slow request (the
  // queue it leaves takes the rest of the stall to drain), the proxy's main thread kept off the CPU
  // (> 1 ms of runqueue wait in the stall's samples), both, or neither.
  const causes = { gc: 0, 'off the CPU': 0, both: 0, neither: 0 };
  for (const st of stalls) {
    const first = slow.find((r) => r.due >= st.start);
    const byGc = isGateway && overlapping(gc, st.start - 3, Math.max(st.start + 3, first ? first.done : st.start)).length > 0;
    const offCpu = samples ? windowWait(samples, st.start, st.end) > 1 : false;
    st.cause = byGc && offCpu ? 'both' : byGc ? 'gc' : offCpu ? 'off the CPU' : 'neither';
    causes[st.cause] += st.count;
  }
  console.log(
    `  requests over the p99 by what began their stall: ${Object.entries(causes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  const t0 = reqs[0].due;
  const gaps = stalls.slice(1).map((s, i) => s.start - stalls[i].start);
  console.log(
    `  ${stalls.length} stalls (runs of requests over the p99), ${f(stalls.length / span)} a second; median gap ${
      gaps.length
        ? f(
            quantile(
              [...gaps].sort((a, b) => a - b),
              0.5,
            ),
          )
        : '–'
    } ms; requests per stall: median ${quantile(
      stalls.map((s) => s.count).sort((a, b) => a - b),
      0.5,
    )}`,
  );
  for (const s of [...stalls].sort((a, b) => b.worst - a.worst).slice(0, shown)) {
    const pauses = isGateway ? overlapping(gc, s.start - 5, s.end) : [];
    let line = `    at +${f(s.start - t0)} ms: ${s.count} requests, worst ${f(s.worst)} ms, ${f(s.end - s.start)} ms long`;
    if (isGateway) line += pauses.length ? `; GC: ${pauses.map((p) => `${p.kind} ${f(p.ms)} ms at ${f(p.t - s.start)}`).join(', ')}` : '; no GC pause';
    if (samples) line += `; ${describeWindow(samples, s.start, s.end)}`;
    const conns = overlapping(churn, s.start - 1, s.end);
    if (conns.length > 0)
      line += `; upstream sockets: ${conns.filter((e) => e.event === 'connect').length} opened, ${conns.filter((e) => e.event === 'close').length} closed`;
    if (profile && isGateway) {
      const counts = new Map();
      for (const [t, fn] of profile) if (t >= s.start && t <= s.end) counts.set(fn, (counts.get(fn) ?? 0) + 1);
      const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 4);
      line += `; sampled: ${top.map(([fn, n]) => `${fn} ×${n}`).join(', ') || 'nothing'}`;
    }
    console.log(line);
  }
}

/**
 * bench/fixed-rate.cc's machine samples (every 5 ms): per-CPU jiffies, and per watched pid (the
 * proxy first, then the upstream) its main thread's run and runqueue-wait ns and minor faults.
 */
function loadSamples(path) {
  if (!existsSync(path)) return undefined;
  const cpu = new Map();
  const pid = new Map();
  for (const l of readFileSync(path, 'utf8').split('\n')) {
    if (!l) continue;
    const [t, kind, id, ...v] = l.split(' ');
    const into = kind === 'cpu' ? cpu : pid;
    if (!into.has(id)) into.set(id, []);
    into.get(id).push([Number(t), ...v.map(Number)]);
  }
  return { cpu, pid, pids: [...pid.keys()] };
}

/** The proxy's main-thread runqueue wait (ms) over [from, to], from the samples. */
function windowWait(samples, from, to) {
  const series = samples.pid.get(samples.pids[0]);
  let a = series[0];
  let b = series[series.length - 1];
  for (const x of series) {
    if (x[0] <= from) a = x;
    if (x[0] >= to) {
      b = x;
      break;
    }
  }
  return (b[2] - a[2]) / 1e6;
}

/** What the samples say about [from, to]: the sample just before from to the first after to. */
function describeWindow(samples, from, to) {
  const delta = (series) => {
    let a = series[0];
    let b = series[series.length - 1];
    for (const x of series) {
      if (x[0] <= from) a = x;
      if (x[0] >= to) {
        b = x;
        break;
      }
    }
    return { ms: b[0] - a[0], d: b.map((v, i) => v - a[i]) };
  };
  const parts = [];
  const steal = [...samples.cpu.values()].map((series) => delta(series).d[4]);
  const idle = [...samples.cpu.values()].map((series) => delta(series).d[3]);
  const window = delta([...samples.cpu.values()][0]).ms;
  parts.push(`${f(window)} ms sampled: steal ${steal.join('+')} jiffies, idle ${idle.join('+')}`);
  samples.pids.forEach((id, i) => {
    const { ms, d } = delta(samples.pid.get(id));
    parts.push(`${i === 0 ? 'proxy' : 'upstream'} ran ${f(d[1] / 1e6)} ms, waited ${f(d[2] / 1e6)} ms, ${d[3]} faults of ${f(ms)} ms`);
  });
  return parts.join(', ');
}
