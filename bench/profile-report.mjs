/**
 * Where a server's CPU goes per request, from V8 CPU profiles (bench/run.ts BENCH_PROFILE, or
 * node --cpu-prof), side by side with a second profile when given:
 *
 *   node bench/profile-report.mjs <a.cpuprofile> <requests in a> [<b.cpuprofile> <requests in b>] [top N (0)]
 *
 * Prints the self time per request (µs, profiler on) summed by where the code lives: our code
 * (src/ or dist/), undici (with the llhttp wasm), Node's own modules, the socket-write syscalls, GC,
 * promise and tick machinery, other native code (regular expressions, string and buffer builtins),
 * V8 and libuv outside JavaScript; with top N, also the N functions with the largest difference.
 * The request counts come from the load generator (wrk prints them); idle time is left out.
 * PROFILE_WINDOW=<from>-<to> (seconds after the profile's start) keeps only that stretch, e.g. to
 * leave out a warm-up (the counts are then the requests in that stretch: req/s × its length).
 */
import { readFileSync } from 'node:fs';

const WRITES = /^(writev|writeLatin1String|writeUtf8String|writeBuffer|writeBuffers)$/;

function categoryOf(callFrame) {
  const { url, functionName } = callFrame;
  if (!url && WRITES.test(functionName)) return 'socket writes (syscalls)';
  if (functionName === '(garbage collector)') return 'GC (main thread)';
  if (functionName === '(program)') return '(program): V8 and libuv outside JavaScript';
  if (functionName === 'runMicrotasks' || url.includes('task_queues')) return 'promises and ticks';
  if (/\/(src|dist)\//.test(url) && !url.includes('node_modules')) return 'our code (src/, dist/)';
  if (url.includes('node_modules/undici') || url.startsWith('wasm')) return 'undici (and the llhttp wasm)';
  if (url.startsWith('node:')) return "Node's modules (http, net, streams, events, timers)";
  if (!url) return 'other native (regular expressions, string and buffer builtins)';
  return 'other JavaScript (dependencies, scripts, the loader)';
}

// PROFILE_WINDOW=<from>-<to>: only the samples between those seconds after the profile's start (to
// leave out a warm-up); the request counts are then those of that window.
const [windowFrom, windowTo] = (process.env.PROFILE_WINDOW ?? '').split('-').map(Number);
const window = { from: windowFrom || 0, to: windowTo || Number.POSITIVE_INFINITY };

/** Self µs per request by category and by function. */
function perRequest(file, requests) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const selfById = new Map();
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < window.from * 1e6 || t >= window.to * 1e6) continue;
    selfById.set(id, (selfById.get(id) ?? 0) + dt);
  }
  const categories = new Map();
  const functions = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') continue;
    const us = (selfById.get(node.id) ?? 0) / requests;
    total += us;
    const category = categoryOf(cf);
    categories.set(category, (categories.get(category) ?? 0) + us);
    const name = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(src|dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  return { categories, functions, total };
}

const args = process.argv.slice(2);
if (args.length < 2) {
  console.error('usage: node bench/profile-report.mjs <a.cpuprofile> <requests> [<b.cpuprofile> <requests>] [top N]');
  process.exit(2);
}
const a = perRequest(args[0], Number(args[1]));
const b = args.length >= 4 ? perRequest(args[2], Number(args[3])) : undefined;
const top = Number(args[b ? 4 : 2] ?? 0);
const f = (n) => (n ?? 0).toFixed(1);

const names = [...new Set([...a.categories.keys(), ...(b ? b.categories.keys() : [])])].sort((x, y) => (a.categories.get(y) ?? 0) - (a.categories.get(x) ?? 0));
console.log(b ? '| µs per request (profiler on) | a | b | a − b |\n| --- | ---: | ---: | ---: |' : '| µs per request (profiler on) | a |\n| --- | ---: |');
for (const name of names) {
  const x = a.categories.get(name) ?? 0;
  console.log(b ? `| ${name} | ${f(x)} | ${f(b.categories.get(name))} | ${f(x - (b.categories.get(name) ?? 0))} |` : `| ${name} | ${f(x)} |`);
}
console.log(b ? `| all | ${f(a.total)} | ${f(b.total)} | ${f(a.total - b.total)} |` : `| all | ${f(a.total)} |`);

if (top > 0) {
  const rows = [...new Set([...a.functions.keys(), ...(b ? b.functions.keys() : [])])]
    .map((name) => [name, a.functions.get(name) ?? 0, b?.functions.get(name) ?? 0])
    .sort((x, y) => y[1] - y[2] - (x[1] - x[2]))
    .slice(0, top);
  console.log(`\nthe ${top} functions with the most self time per request${b ? ' more in a than in b' : ''} (µs):`);
  for (const [name, x, y] of rows) console.log(`${f(x).padStart(7)}${b ? ` ${f(y).padStart(7)}` : ''}  ${name}`);
}
