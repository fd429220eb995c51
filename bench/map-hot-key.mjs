/**
 * Why src/lru.ts does not re-insert on every hit: `node bench/map-hot-key.mjs 5000` times V8's Map
 * delete + set of one hot key among N others (the usual JavaScript LRU hit), against a plain get.
 * On Node 24: ~80 ns with no other keys, ~21 µs with 5,000, ~84 µs with 20,000 (each deleted copy of
 * the key stays in its bucket's chain until the table is rehashed).
 */
const others = Number(process.argv[2] ?? 5000);
const map = new Map();
for (let i = 0; i < others; i++) map.set(`key-${i}-${'x'.repeat(50)}`.slice(-64), { i });
const hot = `key-hot-${'y'.repeat(50)}`.slice(-64);
map.set(hot, { hot: true });
const time = (label, n, op) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) op();
  console.log(`${others} other keys: ${label} ${(Number(process.hrtime.bigint() - t0) / n).toFixed(1)} ns/op`);
};
time('delete + set of the hot key', 100_000, () => {
  const v = map.get(hot);
  map.delete(hot);
  map.set(hot, v);
});
time('get of the hot key', 1_000_000, () => map.get(hot));
