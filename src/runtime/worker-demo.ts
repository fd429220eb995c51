/**
 * The demo Worker (`npm run start:worker`, `npm run dev:worker`): the production entry with
 * config/demo.yaml bundled through wrangler's Text rule. EMULATOR_URL and DEMO_UPSTREAM_URL vars
 * (wrangler.toml [env.demo.vars]) point it at the local emulator and demo upstream. To bundle your own
 * config, copy this file, import your YAML instead, and point `main` at the copy.
 */
import demoConfig from '../../config/demo.yaml';
import { createWorker } from './worker';

export default createWorker({ bundledConfig: demoConfig, bundledSource: 'config/demo.yaml' });
// wrangler.toml's Durable Object binding names this class for every env, the demo's included.
export { GatewayStoreObject } from './worker';
