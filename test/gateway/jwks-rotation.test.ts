/**
 * JWKS rotation and outage against the emulator's key hooks, through the running gateway.
 */
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POOL, startStack, type Stack } from '../helpers/stack';
import { machineToken as fetchMachineToken } from '../helpers/tokens';

let offset = 0;
const now = () => Date.now() + offset;
let stack: Stack;
beforeAll(async () => {
  // Verified-token cache off: this file is about keys, and a cached token would not touch them.
  stack = await startStack({ now, emulatorNow: now, edit: (raw) => (raw.tokens = { cache: { enabled: false } }) });
});
afterAll(() => stack?.close());

const machineToken = () => fetchMachineToken(stack.emulator.hostedUiBase, 'demo-api/read');

const api = (token: string) => fetch(`${stack.url}/api/x`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });

describe('JWKS rotation and outage', () => {
  it('keeps known keys working while the JWKS endpoint is down, and answers 503 for a kid it cannot check', async () => {
    const before = await machineToken();
    expect((await api(before)).status).toBe(200); // keys fetched and cached
    stack.emulator.setJwksAvailable(POOL, false);
    try {
      expect((await api(before)).status).toBe(200);
      const { newKid } = stack.emulator.rotateKeys(POOL, 'access');
      const rotated = await machineToken();
      expect(decodeProtectedHeader(rotated).kid).toBe(newKid);
      offset += 11_000; // past the refetch cool-down
      const res = await api(rotated);
      expect(res.status).toBe(503);
    } finally {
      stack.emulator.setJwksAvailable(POOL, true);
    }
  });

  it('picks up a new key without a restart, and refuses tokens of a retired key', async () => {
    offset += 11_000; // let the previous test's failed fetch cool down
    const old = await machineToken();
    const oldKid = decodeProtectedHeader(old).kid!;
    expect((await api(old)).status).toBe(200);
    const { newKid } = stack.emulator.rotateKeys(POOL, 'access');
    offset += 11_000;
    const fresh = await machineToken();
    expect(decodeProtectedHeader(fresh).kid).toBe(newKid);
    expect((await api(fresh)).status).toBe(200);
    stack.emulator.retireKey(POOL, oldKid);
    // The retired key is forgotten at the next key-set refresh; a third key forces one.
    offset += 11_000;
    stack.emulator.rotateKeys(POOL, 'access');
    const third = await machineToken();
    expect((await api(third)).status).toBe(200);
    // The old token is still unexpired, but its key is gone.
    const res = await api(old);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });
});
