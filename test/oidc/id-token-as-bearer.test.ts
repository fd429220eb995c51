/**
 * With `idp.type: oidc`, an ID token never works as a bearer access token: an ordinary ID token for
 * the gateway's own client (its `aud` is the client id, and generic providers send no `token_use`)
 * offered as `Authorization: Bearer` gets 401 invalid_token through the running gateway. (The
 * verifier's own rule: test/tokens/verifier.test.ts "without audiences, checks access tokens on
 * client_id".)
 */ import { afterAll, beforeAll, expect, it } from 'vitest';
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
  const idToken = await mint(
    key,
    {
      iss: ISSUER,
      sub: 'olivia',
      aud: 'gateway',
      iat: now,
      exp: now + 300,
      auth_time: now,
      nonce: 'n-0S6_WzA2Mj',
      email: 'olivia@example.org',
      email_verified: true,
      groups: ['ops'],
    },
    { typ: 'JWT' },
  );
  const res = await fetch(`${gateway.url}/reports`, { headers: { authorization: `Bearer ${idToken}`, accept: 'application/json' } });
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
});
