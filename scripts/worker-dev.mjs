/**
 * `npm run dev:worker`: `wrangler dev --env demo` (the gateway in workerd with config/demo.yaml) against
 * an emulator and demo upstream you run yourself (`npm run emulator`, default ports 9229/9080), with
 * telemetry off. Extra arguments go to wrangler, e.g. `npm run dev:worker -- --port 8788`.
 * For everything in one command use `npm run start:worker`.
 */
import { demoDevArgs, spawnWrangler } from './worker-wrangler.mjs';

const child = spawnWrangler([...demoDevArgs(process.env.PORT ?? '8787'), ...process.argv.slice(2)]);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
