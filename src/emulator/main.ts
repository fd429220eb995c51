import { DEFAULT_SEED_PATH, startEmulator } from './index';
import { loadSeedFile } from './seed';

/**
 * `npm run emulator`: the demo pool on http://127.0.0.1:9229.
 * Env: EMULATOR_PORT, EMULATOR_HOST, EMULATOR_SEED (a seed YAML file), EMULATOR_HOSTED_UI_BASE.
 * Prints pools, clients, users and endpoints; never passwords or secrets (they are in the seed file).
 */
const seedPath = process.env.EMULATOR_SEED ?? DEFAULT_SEED_PATH;
const port = process.env.EMULATOR_PORT ? Number(process.env.EMULATOR_PORT) : 9229;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`EMULATOR_PORT must be a port number, got ${process.env.EMULATOR_PORT}`);
  process.exit(2);
}

let seed: ReturnType<typeof loadSeedFile>;
try {
  seed = loadSeedFile(seedPath);
} catch (e) {
  console.error(`cannot load seed ${seedPath}: ${(e as Error).message}`);
  process.exit(2);
}

const host = process.env.EMULATOR_HOST ?? '127.0.0.1';
const emulator = await startEmulator({ seed, port, host, hostedUiBase: process.env.EMULATOR_HOSTED_UI_BASE, log: true }).catch((e: NodeJS.ErrnoException) => {
  // 9229 is also the default inspector port of Node and of workerd (wrangler dev).
  const hint = e.code === 'EADDRINUSE' ? ` (port ${port} is taken; set EMULATOR_PORT)` : '';
  console.error(`cannot start the emulator on ${host}:${port}: ${e.message}${hint}`);
  process.exit(1);
});

const lines: string[] = [`Cognito user-pool emulator on ${emulator.url} (seed: ${seedPath})`, `Hosted UI: ${emulator.hostedUiBase}`];
for (const pool of seed.pools) {
  const issuer = emulator.issuer(pool.id);
  lines.push('', `Pool ${pool.id} (${pool.name ?? pool.id})`, `  issuer     ${issuer}`);
  lines.push(`  discovery  ${issuer}/.well-known/openid-configuration`, `  jwks       ${issuer}/.well-known/jwks.json`);
  lines.push('  clients:');
  for (const c of pool.clients) {
    const kind = c.secret ? 'confidential' : 'public';
    lines.push(`    ${c.id} (${kind}; flows ${c.allowedOAuthFlows.join(',')}; scopes ${c.allowedScopes.join(' ')})`);
    for (const url of c.callbackUrls) lines.push(`      callback ${url}`);
  }
  lines.push('  users (passwords in the seed file):');
  for (const u of pool.users) {
    const groups = u.groups.length > 0 ? ` groups=${u.groups.join(',')}` : '';
    lines.push(`    ${u.username}${groups}${u.enabled ? '' : ' (disabled)'}`);
  }
  for (const idp of pool.identityProviders) {
    lines.push(`  identity provider ${idp.name} (${idp.type}): users ${idp.users.map((u) => u.username).join(', ')}`);
  }
}
lines.push(
  '',
  'Endpoints (hosted UI): /oauth2/authorize /login /oauth2/token /oauth2/userInfo /oauth2/revoke /logout',
  `Admin API: POST ${emulator.url}/ (X-Amz-Target: AWSCognitoIdentityProviderService.<Op>)`,
  `Test hooks: POST ${emulator.url}/_emulator/<hook> (see src/emulator/README.md)`,
);
console.log(lines.join('\n'));

const stop = () => {
  void emulator.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
