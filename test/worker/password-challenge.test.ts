/**
 * The password form's challenge step in workerd (the production Worker bundle): a temporary password
 * and then a TOTP code, answered over HTTP as JSON, end in the same session as on Node. The sealed
 * state (iron over Web Crypto) and AdminRespondToAuthChallenge (the AWS SDK over fetch) both run in
 * the Worker.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawRequest } from '../helpers/raw';
import { POOL } from '../helpers/stack';
import { TOTP_SECRET, totp, wrongTotp } from '../helpers/totp';
import { startWorkerStack, type WorkerStack } from '../helpers/worker-stack';

let stack: WorkerStack;
beforeAll(async () => {
  stack = await startWorkerStack({
    bundleDir: inject('workerBundleDir'),
    edit: (raw) => {
      raw.apps.find((a: { id: string }) => a.id === 'demo').cognito = { passwordAuth: true };
      raw.cognitoAdmin = { endpoint: new URL(raw.idp.issuer).origin };
    },
    vars: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' },
  });
  stack.emulator.addUser(POOL, { username: 'wanda', password: 'Temp-Passw0rd!', status: 'FORCE_CHANGE_PASSWORD', totpSecret: TOTP_SECRET });
}, 60_000);
afterAll(() => stack?.close());

// node:http sends the Content-Length of a body given whole.
const postJson = (path: string, body: unknown) =>
  rawRequest(stack.url, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('password challenges in workerd', () => {
  it('a new password, a wrong code, then the right code: signed in with a session', async () => {
    const first = await postJson('/_auth/password', { username: 'wanda', password: 'Temp-Passw0rd!', rd: '/docs' });
    const npr = JSON.parse(first.body);
    expect([first.status, npr.challenge, npr.step]).toEqual([200, 'NEW_PASSWORD_REQUIRED', `${stack.url}/_auth/password/challenge`]);
    const second = await postJson('/_auth/password/challenge', { state: npr.state, newPassword: 'Wanda-N3w-Passw0rd!' });
    const mfa = JSON.parse(second.body);
    expect([second.status, mfa.challenge]).toEqual([200, 'SOFTWARE_TOKEN_MFA']);
    const wrong = await postJson('/_auth/password/challenge', { state: mfa.state, code: wrongTotp(TOTP_SECRET, Date.now()) });
    expect([wrong.status, JSON.parse(wrong.body).error]).toEqual([401, 'mfa_code_mismatch']);
    const done = await postJson('/_auth/password/challenge', { state: mfa.state, code: totp(TOTP_SECRET, Date.now()) });
    expect([done.status, JSON.parse(done.body)]).toEqual([200, { signedIn: true, username: 'wanda', returnTo: '/docs' }]);
    const cookie = [done.headers['set-cookie'] ?? []]
      .flat()
      .map((c) => c.split(';')[0]!)
      .filter((c) => !c.endsWith('='))
      .join('; ');
    const me = await rawRequest(stack.url, '/_auth/me', { headers: { cookie } });
    expect([me.status, JSON.parse(me.body).username]).toEqual([200, 'wanda']);
  }, 60_000);
});
