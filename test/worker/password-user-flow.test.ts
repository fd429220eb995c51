/**
 * Password sign-in in workerd (the production Worker bundle) with `idp.passwordAuthFlow: user` and
 * NO AWS credentials among the Worker's vars: the form's JSON sign-in, a NEW_PASSWORD_REQUIRED
 * challenge and Basic auth all go through the public InitiateAuth / RespondToAuthChallenge (the
 * AWS SDK over fetch, unsigned) of the demo pool's `demo-user-password` client.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawRequest } from '../helpers/raw';
import { POOL } from '../helpers/stack';
import { startWorkerStack, type WorkerStack } from '../helpers/worker-stack';

let stack: WorkerStack;
beforeAll(async () => {
  stack = await startWorkerStack({
    bundleDir: inject('workerBundleDir'),
    edit: (raw) => {
      Object.assign(raw.idp, { clientId: 'demo-user-password', clientSecret: 'demo-user-password-secret', passwordAuthFlow: 'user' });
      for (const app of raw.apps as Array<{ id: string; cognito?: Record<string, boolean> }>) delete app.cognito;
      raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
      raw.cognitoAdmin = { endpoint: new URL(raw.idp.issuer).origin };
    },
    vars: { AWS_REGION: 'us-east-1' },
  });
  stack.emulator.addUser(POOL, { username: 'wendy', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD' });
}, 60_000);
afterAll(() => stack?.close());

// node:http sends the Content-Length of a body given whole.
const postJson = (path: string, body: unknown) =>
  rawRequest(stack.url, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('USER_PASSWORD_AUTH in workerd without AWS credentials', () => {
  it('JSON sign-in, a wrong password, a new-password challenge and Basic auth', async () => {
    const alice = await postJson('/_auth/password', { username: 'alice', password: 'Alice-Passw0rd!', rd: '/docs' });
    expect([alice.status, JSON.parse(alice.body)]).toEqual([200, { signedIn: true, username: 'alice', returnTo: '/docs' }]);

    const wrong = await postJson('/_auth/password', { username: 'alice', password: 'nope', rd: '/docs' });
    expect([wrong.status, JSON.parse(wrong.body).error]).toEqual([401, 'invalid_credentials']);

    const first = JSON.parse((await postJson('/_auth/password', { username: 'wendy', password: 'Temp-Passw0rd!', rd: '/docs' })).body);
    expect(first.challenge).toBe('NEW_PASSWORD_REQUIRED');
    const done = await postJson('/_auth/password/challenge', { state: first.state, newPassword: 'Wendy-N3w-Passw0rd!' });
    expect([done.status, JSON.parse(done.body)]).toEqual([200, { signedIn: true, username: 'wendy', returnTo: '/docs' }]);

    const basic = await rawRequest(stack.url, '/docs', { headers: { accept: 'application/json', authorization: `Basic ${btoa('carol:Carol-Passw0rd!')}` } });
    expect(basic.status).toBe(200);
    expect((JSON.parse(basic.body) as { headers: Record<string, string> }).headers['x-auth-user']).toBe('carol');
  }, 60_000);
});
