import { Miniflare, convertV4MiniflareOptions } from "miniflare";
const mf = new Miniflare(convertV4MiniflareOptions({
  modules: true,
  script: `export default { async fetch(req, env) { console.log(JSON.stringify({msg:'hi'})); const c = caches.default; await c.put(new Request('https://cache.internal/x'), new Response('v', {headers:{'cache-control':'max-age=1'}})); const m = await c.match(new Request('https://cache.internal/x')); const s = await env.APP.fetch('https://app.internal/p?q=1', {headers:{a:'b'}}); return new Response(JSON.stringify({ip: req.headers.get('cf-connecting-ip'), cf: req.cf?.country, hit: m ? await m.text() : null, svc: await s.text()})); } }`,
  compatibilityDate: '2026-08-15',
  serviceBindings: { APP: async (req) => new Response('svc:' + req.url + ' ' + req.headers.get('a')) },
  host: '127.0.0.1', port: 0,
  handleStructuredLogs(l) { process.stdout.write("[S] " + JSON.stringify(l) + "\n"); },
}));
const url = await mf.ready;
const r = await fetch(new URL('/a?b=1', url));
console.log(await r.text());
await mf.dispose();
