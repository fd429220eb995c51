/**
 * Regression: with `idp.type: oidc`, an ID token must never work as a bearer access token.
 * src/gateway/app.ts:41 passes the client ids as accepted access-token *audiences*; an ID token's
 * `aud` is exactly the client id and generic providers send no `token_use`, so checkAccessTokenClient
 * (src/tokens/claims.ts:292-298) accepts any ID token as an access token. The verifier alone refuses
 * it (test/tokens/verifier.test.ts "without audiences, checks access tokens on client_id").
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemoUpstream } from '../../src/cli/demo';
import { loadConfig } from '../../src/config/load';
import { createMemoryLogger } from '../../src/log';
import { startNodeGateway, type RunningGateway } from '../../src/runtime/node';
import { makeRsaKey, mint, startJwksServer, type IssuerKey, type JwksServer } from '../tokens/helpers';

const ISSUER = 'https://op.example';
let key: IssuerKey;
let jwks: JwksServer;
let upstream: { url: string; close(): Promise<void> };
let gateway: RunningGateway;

beforeAll(async () => {
  key = await makeRsaKey('op-key-1');
  jwks = await startJwksServer([key.publicJwk]);
  upstream = await startDemoUpstream(0);
  const config = loadConfig(
    `
idp:
  type: oidc
  issuer: ${ISSUER}
  jwksUri: ${jwks.url}
  clientId: gateway
  clientSecret: gateway-secret-for-tests
  groupsClaim: groups
session:
  secrets: ["test-only-session-secret-0123456789abcdef"]
apps:
  - id: ops
    upstream: ${upstream.url}
    policies:
      - name: ops-api
        action: allow
        include: [{ groups: [ops] }]
        require: [{ auth_methods: [bearer] }]
`,
    {},
  );
  gateway = await startNodeGateway({ config, port: 0, host: '127.0.0.1', logger: createMemoryLogger() });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await jwks?.close();
});

it('refuses an OpenID Connect ID token offered as Authorization: Bearer', async () => {
  const now = Math.floor(Date.now() / 1000);
  // An ordinary ID token for the gateway's client, as any OpenID Provider issues it.
  const idToken = await mint(key, {
    iss: ISSUER, sub: 'olivia', aud: 'gateway', iat: now, exp: now + 300, auth_time: now,
    nonce: 'n-0S6_WzA2Mj', email: 'olivia@example.org', email_verified: true, groups: ['ops'],
  }, { typ: 'JWT' });
  const res = await fetch(`${gateway.url}/reports`, { headers: { authorization: `Bearer ${idToken}`, accept: 'application/json' } });
  expect(res.status).toBe(401);
});
