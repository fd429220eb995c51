/**
 * Summarises a V8 sampling heap profile (bench/gateway-process.mjs BENCH_HEAP_SAMPLE, or
 * node --heap-prof):
 *
 *   node bench/heap-report.mjs <file.heapprofile> [top N (30)] [requests, to print bytes per request]
 *
 * Prints the sampled bytes by allocating function (self) and by the nearest frame in our own
 * code (src/ or dist/) on the stack, so an allocation inside a library is charged to the line of
 * ours that called it.
 */
import { readFileSync } from 'node:fs';

const [file, topText, requestsText] = process.argv.slice(2);
const top = Number(topText ?? 30);
const requests = Number(requestsText ?? 0);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const ours = new Map();
let total = 0;
const frame = (cf) => `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(src|dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}`;
const isOurs = (cf) => /\/(src|dist)\//.test(cf.url) && !cf.url.includes('node_modules');
function walk(node, stack) {
  const here = [...stack, node.callFrame];
  if (node.selfSize > 0) {
    total += node.selfSize;
    const k = frame(node.callFrame);
    self.set(k, (self.get(k) ?? 0) + node.selfSize);
    const mine = [...here].reverse().find(isOurs);
    const o = mine ? frame(mine) : '(no frame of ours)';
    ours.set(o, (ours.get(o) ?? 0) + node.selfSize);
  }
  for (const c of node.children) walk(c, here);
}
walk(profile.head, []);
const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;
const per = (n) => (requests > 0 ? `  ${(n / requests / 1024).toFixed(2)} KB/req` : '');
console.log(`total sampled: ${mb(total)}${per(total)}`);
for (const [title, m] of [
  ['by allocating function (self)', self],
  ['by nearest frame of ours', ours],
]) {
  console.log(`\n${title}:`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((100 * v) / total).toFixed(1).padStart(5)} %  ${mb(v).padStart(9)}${per(v)}  ${k}`);
}
