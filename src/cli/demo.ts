/**
 * `npm start`: the local Cognito emulator, the demo upstream and the gateway with config/demo.yaml,
 * all on loopback, no AWS account needed.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createDemoUpstreamApp } from '../demo/upstream';
import type { ResolvedConfig } from '../config/load';
import { type RunningEmulator, startEmulator } from '../emulator';
import { startNodeGateway } from '../runtime/node';
import { readConfigFile } from './config-file';

export async function startDemoUpstream(port = 9080, host = '127.0.0.1'): Promise<{ url: string; close(): Promise<void> }> {
  const server = serve({ fetch: createDemoUpstreamApp().fetch, hostname: host, port });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every app client a gateway with this config signs in with on its own pool: the default realm's and each realm's. */
export function poolClientIds(config: ResolvedConfig): string[] {
  return [...new Set([config.idp.clientId, ...config.realms.filter((r) => r.samePool).map((r) => r.idp.clientId)])];
}

/**
 * Tells the emulator's app clients the callback and sign-out URLs a gateway on `port` really uses,
 * on both loopback names (any PORT works, and every realm can sign in).
 */
export function registerGatewayUrls(
  emulator: Pick<RunningEmulator, 'setClientSettings'>,
  poolId: string,
  clientIds: Iterable<string>,
  port: string | number,
): void {
  const origins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  for (const clientId of clientIds) {
    emulator.setClientSettings(poolId, clientId, {
      callbackUrls: origins.map((o) => `${o}/_auth/callback`),
      logoutUrls: origins.flatMap((o) => [`${o}/`, `${o}/public/bye`]),
    });
  }
}

async function main() {
  const emulatorPort = Number(process.env.EMULATOR_PORT ?? 9229);
  const upstreamPort = Number(process.env.DEMO_UPSTREAM_PORT ?? 9080);
  const emulator = await startEmulator({ port: emulatorPort, log: false });
  const upstream = await startDemoUpstream(upstreamPort);
  const env = { ...process.env, EMULATOR_URL: emulator.url, DEMO_UPSTREAM_URL: upstream.url };
  const configPath = process.env.GATEWAY_CONFIG ?? 'config/demo.yaml';
  const config = await readConfigFile(configPath, env);
  // The emulator accepts any signature: the admin API (user look-ups, the password form) needs only
  // some credentials, so the demo runs without an AWS account.
  const adminEnv = { AWS_ACCESS_KEY_ID: 'demo', AWS_SECRET_ACCESS_KEY: 'demo', ...process.env, COGNITO_ENDPOINT: emulator.url };
  const gateway = await startNodeGateway({ config, env: adminEnv, loadConfig: () => readConfigFile(configPath, env) });
  process.on('SIGHUP', () => void gateway.reload());
  registerGatewayUrls(emulator, config.idp.userPoolId ?? 'us-east-1_DemoPool1', poolClientIds(config), new URL(gateway.url).port);

  console.log(`
  cognito-gateway demo
  ────────────────────
  Gateway      ${gateway.url}/          (open this)
  Emulator     ${emulator.url}           (local Cognito: pool us-east-1_DemoPool1, hosted UI ${emulator.hostedUiBase})
  Upstream     ${upstream.url}           (echoes what the gateway forwards)

  Try:  ${gateway.url}/public/     open to everyone
        ${gateway.url}/            any signed-in user
        ${gateway.url}/admin/      group admins only (alice)
        ${gateway.url}/partners/   email domain partner.example (carol)
        ${gateway.url}/_auth/me    who am I   ·   ${gateway.url}/_auth/logout   sign out

  Integrations (docs/recipes/):
        ${gateway.url}/site/login   a site's own login form (POST /_auth/password)
        ${gateway.url}/portal/      user portal: disable bob in the emulator, he is cut off within 15 s
        ${gateway.url}/broker/      federated sign-in straight to PartnerIdP (erin)
        ${gateway.url}/spa-api/     CORS API for a single-page app on http://localhost:5173
        ${gateway.url}/shop/        buyer realm · ${gateway.url}/merchant/  merchant realm (its own app client)
        the signed assertion carries name and custom:tenant (carol)

${
  config.realms.length > 1
    ? `\n  Realms:       ${config.realms.map((r) => `${r.name} (client ${r.idp.clientId}: ${r.apps.join(', ')})`).join(' · ')}
        ${gateway.url}/_auth/login?realm=${config.realms[1]!.name}   sign in to the second realm (add &prefix=<store> for a storefront)
        ${gateway.url}/_auth/me?realm=${config.realms[1]!.name}   who am I there
`
    : ''
}
  Users (password):  alice (Alice-Passw0rd!) admins+staff · bob (Bob-Passw0rd!) staff
                     carol (Carol-Passw0rd!) partner · dave (Dave-Passw0rd!) disabled
                     erin (Erin-Passw0rd!) via PartnerIdP

  Machine token:     curl -s -u demo-machine:demo-machine-secret -d grant_type=client_credentials \\
                       -d scope=demo-api/read ${emulator.hostedUiBase}/oauth2/token
                     curl -H "Authorization: Bearer <access_token>" ${gateway.url}/api/things

  Admin API (doctor, provision) against this emulator — paste:
                     export COGNITO_ENDPOINT=${emulator.url} AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo EMULATOR_URL=${emulator.url}
                     npx cognito-gateway doctor --config ${configPath}
                     npx cognito-gateway provision --config ${configPath} --dry-run
`);
  const stop = async () => {
    await gateway.close();
    await upstream.close();
    await emulator.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main().catch((e) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
