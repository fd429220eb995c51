/**
 * `npm run start:worker`: the same demo as `npm start` (Cognito emulator on 9229, demo upstream on
 * 9080, config/demo.yaml, gateway on 8787) with the gateway running in workerd through `wrangler dev`
 * (wrangler.toml [env.demo]). Telemetry off. Ports: EMULATOR_PORT, DEMO_UPSTREAM_PORT, PORT.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { demoDevArgs, spawnWrangler } from './worker-wrangler.mjs';

const POOL = 'us-east-1_DemoPool1';
const port = Number(process.env.PORT ?? 8787);
const { startEmulator } = await tsImport('../src/emulator/index.ts', import.meta.url);
const { poolClientIds, registerGatewayUrls, startDemoUpstream } = await tsImport('../src/cli/demo.ts', import.meta.url);
const { readConfigFile } = await tsImport('../src/cli/config-file.ts', import.meta.url);

const emulator = await startEmulator({ port: Number(process.env.EMULATOR_PORT ?? 9229), log: false });
const upstream = await startDemoUpstream(Number(process.env.DEMO_UPSTREAM_PORT ?? 9080));
const gateway = `http://127.0.0.1:${port}`;
// Every realm's app client (config/demo.yaml has a merchant realm) learns the gateway's URLs.
const config = await readConfigFile('config/demo.yaml', { ...process.env, EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url });
registerGatewayUrls(emulator, POOL, poolClientIds(config), port);

const child = spawnWrangler(
  [
    ...demoDevArgs(port),
    '--var',
    `EMULATOR_URL:${emulator.url}`,
    '--var',
    `DEMO_UPSTREAM_URL:${upstream.url}`,
    '--persist-to',
    mkdtempSync(join(tmpdir(), 'cgw-wrangler-state-')),
    '--show-interactive-dev-session=false',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);

let announced = false;
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on/i.test(String(chunk))) {
    announced = true;
    console.log(`
  cognito-gateway demo — gateway on Cloudflare Workers (workerd via wrangler dev)
  ───────────────────────────────────────────────────────────────────────────────
  Gateway      ${gateway}/          (open this; the first request compiles the Worker, a few seconds)
  Emulator     ${emulator.url}           (local Cognito: pool ${POOL}, hosted UI ${emulator.hostedUiBase})
  Upstream     ${upstream.url}           (echoes what the gateway forwards)

  Try:  ${gateway}/public/  ·  ${gateway}/  ·  ${gateway}/admin/ (alice)  ·  ${gateway}/partners/ (carol)
        ${gateway}/_auth/me  ·  ${gateway}/_auth/logout
  Users (password):  alice (Alice-Passw0rd!) · bob (Bob-Passw0rd!) · carol (Carol-Passw0rd!)
  Client address on Workers comes from CF-Connecting-IP (wrangler dev sets 127.0.0.1 unless you send one).
`);
  }
});

let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  child.kill('SIGTERM');
  await upstream.close();
  await emulator.close();
  process.exit(code);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
child.on('exit', (code) => void stop(code ?? 0));
