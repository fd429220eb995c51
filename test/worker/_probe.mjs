import { Miniflare, convertV4MiniflareOptions } from "miniflare";
const mf = new Miniflare(convertV4MiniflareOptions({
  modules: true,
  script: `export default { async fetch(req, env) { return new Response(JSON.stringify({url: req.url, ip: req.headers.get('cf-connecting-ip'), hdrs:[...req.headers], x: env.X, c: typeof caches.default })); } }`,
  compatibilityDate: '2026-08-15',
  bindings: { X: 'y' },
  host: '127.0.0.1', port: 0,
}));
const url = await mf.ready;
console.log(String(url));
const r = await fetch(new URL('/a?b=1', url), { headers: { 'cf-connecting-ip': '9.9.9.9' } });
console.log(await r.text());
await mf.dispose();
