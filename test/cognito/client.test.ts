/**
 * createCognitoAdmin (the official SDK over loopback) against the emulator and against misbehaving
 * servers: user look-ups, pool/client descriptions and global sign-out work; failures become typed
 * CognitoAdminErrors (unknown user non-retryable; refused connection NetworkError; silent server
 * TimeoutError after one time limit per attempt; AccessDeniedException names the IAM permission);
 * throttling and 5xx are retried, a create is never retried after a time-out. Attempts are counted,
 * never timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoAdminError } from '../../src/cognito/errors';
import { createProvisionAdmin } from '../../src/cognito/provision-admin';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index';
import { refresh, signIn } from '../emulator/helpers';
import { CREDENTIALS, closedPort, countingFetch, emulatorAdmin, POOL, startServer } from './helpers';

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emu?.close();
});

async function failure(p: Promise<unknown>): Promise<CognitoAdminError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CognitoAdminError);
    return e as CognitoAdminError;
  }
  throw new Error('expected a failure');
}

describe('createCognitoAdmin against the emulator (official SDK over loopback)', () => {
  it('AdminGetUser returns attributes, status and enabled', async () => {
    const user = await emulatorAdmin(emu).getUser('alice');
    expect(user.username).toBe('alice');
    expect(user.enabled).toBe(true);
    expect(user.userStatus).toBe('CONFIRMED');
    expect(user.attributes.email).toBe('alice@example.com');
    expect(user.attributes.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect((await emulatorAdmin(emu).getUser('dave')).enabled).toBe(false);
  });

  it('turns an unknown user into a typed, non-retryable CognitoAdminError', async () => {
    const counter = countingFetch();
    const err = await failure(emulatorAdmin(emu, { fetch: counter.fetch }).getUser('nobody-here'));
    expect(err.name).toBe('UserNotFoundException');
    expect(err.operation).toBe('AdminGetUser');
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(400);
    expect(err.message).toContain('User does not exist');
    expect(counter.count('AdminGetUser')).toBe(1);
  });

  it('describes the pool and the app client', async () => {
    const admin = emulatorAdmin(emu);
    expect((await admin.describeUserPool()).Id).toBe(POOL);
    const client = await admin.describeUserPoolClient('demo-gateway');
    expect(client.CallbackURLs).toContain('http://127.0.0.1:8787/_auth/callback');
    expect(client.ClientSecret).toBe('demo-gateway-secret');
    const err = await failure(admin.describeUserPoolClient('no-such-client'));
    expect(err.name).toBe('ResourceNotFoundException');
  });

  it('global sign-out makes every refresh token of the user fail (other sessions end)', async () => {
    const first = await signIn(emu, 'bob');
    const second = await signIn(emu, 'bob');
    expect((await refresh(emu, first.refresh_token!)).status).toBe(200);
    await emulatorAdmin(emu).globalSignOut('bob');
    for (const t of [first, second]) {
      const res = await refresh(emu, t.refresh_token!);
      expect(res.json.error).toBe('invalid_grant');
    }
    // Another user's session is untouched.
    const carol = await signIn(emu, 'carol');
    expect((await refresh(emu, carol.refresh_token!)).status).toBe(200);
  });

  it('retries a refused connection maxAttempts times, then reports NetworkError (retryable)', async () => {
    const port = await closedPort();
    let attempts = 0;
    const admin = emulatorAdmin(emu, {
      endpoint: `http://127.0.0.1:${port}`,
      maxAttempts: 3,
      fetch: (i, init) => {
        attempts++;
        return fetch(i, init);
      },
    });
    const err = await failure(admin.getUser('alice'));
    expect(err.name).toBe('NetworkError');
    expect(err.retryable).toBe(true);
    expect(err.unreachable).toBe(true);
    expect(attempts).toBe(3);
  });

  it('recovers when a retry succeeds', async () => {
    const port = await closedPort();
    let attempts = 0;
    const admin = emulatorAdmin(emu, {
      maxAttempts: 3,
      // The first attempt goes to a dead port (a real connection failure), the next to the emulator.
      fetch: (i, init) => (++attempts === 1 ? fetch(`http://127.0.0.1:${port}/`, init) : fetch(i, init)),
    });
    expect((await admin.getUser('alice')).username).toBe('alice');
    expect(attempts).toBe(2);
  });

  it('gives up on a silent server after the time limit, once per attempt (TimeoutError)', async () => {
    let requests = 0;
    const silent = await startServer(() => {
      requests++; // never answers
    });
    try {
      const admin = emulatorAdmin(emu, { endpoint: silent.url, timeoutMs: 150, maxAttempts: 2 });
      const err = await failure(admin.getUser('alice'));
      expect(err.name).toBe('TimeoutError');
      expect(err.detail).toBe('no answer within 150 ms');
      expect(err.retryable).toBe(true);
      // Each attempt waited for its own time limit: the silent server saw both, no more.
      expect(requests).toBe(2);
    } finally {
      await silent.close();
    }
  });

  it('does not retry a create after a time-out (it may have happened)', async () => {
    let requests = 0;
    const silent = await startServer(() => {
      requests++;
    });
    try {
      // The write operations are provisioning's (CLI-only) admin client; same retry rules.
      const admin = createProvisionAdmin({
        region: 'us-east-1',
        userPoolId: POOL,
        endpoint: silent.url,
        credentials: CREDENTIALS,
        backoffMs: () => 1,
        timeoutMs: 100,
        maxAttempts: 3,
      });
      const err = await failure(admin.createUserPoolClient({ UserPoolId: POOL, ClientName: 'x' }));
      expect(err.name).toBe('TimeoutError');
      expect(requests).toBe(1);
    } finally {
      await silent.close();
    }
  });

  it('names the missing IAM permission on AccessDeniedException', async () => {
    const denying = await startServer((req, res) => {
      req.resume();
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'req-1' });
      res.end(
        JSON.stringify({ __type: 'AccessDeniedException', message: 'User: arn:aws:iam::1:user/x is not authorized to perform: cognito-idp:AdminGetUser' }),
      );
    });
    try {
      const err = await failure(emulatorAdmin(emu, { endpoint: denying.url }).getUser('alice'));
      expect(err.name).toBe('AccessDeniedException');
      expect(err.accessDenied).toBe(true);
      expect(err.retryable).toBe(false);
      expect(err.requestId).toBe('req-1');
      expect(err.message).toContain('missing IAM permission cognito-idp:AdminGetUser');
    } finally {
      await denying.close();
    }
  });

  it('retries throttling and 5xx answers', async () => {
    let n = 0;
    const flaky = await startServer((req, res) => {
      req.resume();
      n++;
      if (n === 1) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'TooManyRequestsException', message: 'Too many requests' }));
      } else if (n === 2) {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'InternalErrorException', message: 'Internal error.' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ Username: 'alice', UserAttributes: [{ Name: 'email', Value: 'a@x' }], Enabled: true, UserStatus: 'CONFIRMED' }));
      }
    });
    try {
      const user = await emulatorAdmin(emu, { endpoint: flaky.url, maxAttempts: 3 }).getUser('alice');
      expect(user.attributes.email).toBe('a@x');
      expect(n).toBe(3);
    } finally {
      await flaky.close();
    }
  });

  it('creates a pool and a prefix domain, and finds the pool by its domain', async () => {
    const admin = createProvisionAdmin({ region: 'us-east-1', userPoolId: POOL, endpoint: emu.url, credentials: CREDENTIALS, backoffMs: () => 1 });
    const pool = await admin.createUserPool({ PoolName: 'client-test-pool' });
    expect(pool.Id).toMatch(/^us-east-1_[A-Za-z0-9]+$/);
    await admin.createUserPoolDomain(pool.Id!, 'client-test-domain');
    expect((await admin.describeUserPoolDomain('client-test-domain'))?.UserPoolId).toBe(pool.Id);
    expect(await admin.describeUserPoolDomain('no-such-domain')).toBeUndefined();
    const res = await fetch(`${emu.url}/${pool.Id}/.well-known/jwks.json`);
    expect(((await res.json()) as { keys: unknown[] }).keys.length).toBe(2);
  });
});
