import { createSigningKeySync, type TokenKind } from './keys';
import { clientSettingsSchema, userSeedSchema, type ClientSeed, type EmulatorSeed } from './seed';
import { userFromSeed, type EmulatorState, type PoolState, type SentSms } from './state';

/** A user as a seed writes one (defaults may be omitted). */
export type UserSeedInput = EmulatorSeed['pools'][number]['users'] extends Array<infer U> | undefined ? U : never;

/** Test hooks: the same operations in process (RunningEmulator) and over HTTP (/_emulator/*). */
export interface EmulatorHooks {
  rotateKeys(poolId: string, which: TokenKind): { newKid: string; oldKid: string };
  retireKey(poolId: string, kid: string): void;
  setJwksAvailable(poolId: string, up: boolean): void;
  setTokenEndpointDelay(ms: number): void;
  /** While on, every admin-API call answers 500 InternalErrorException (an outage to test against). */
  setAdminApiFailing(failing: boolean): void;
  /** How many token-endpoint calls of this grant type the emulator answered. */
  tokenGrantCount(grantType: string): number;
  setUserEnabled(poolId: string, username: string, enabled: boolean): void;
  setClientSettings(poolId: string, clientId: string, patch: Partial<ClientSeed>): void;
  /** Adds (or replaces) a pool user written as in a seed: FORCE_CHANGE_PASSWORD, `totpSecret`, `smsMfa`… */
  addUser(poolId: string, user: UserSeedInput): void;
  /** The last SMS the pool "texted" the user (an SMS_MFA code), as the user's phone would show it. */
  lastSms(poolId: string, username: string): SentSms;
}

/** A hook called with something that does not exist (HTTP: 404). */
export class HookTargetNotFound extends Error {}

export function createHooks(state: EmulatorState): EmulatorHooks {
  const pool = (poolId: string): PoolState => {
    const p = state.pool(poolId);
    if (!p) throw new HookTargetNotFound(`no pool ${poolId}`);
    return p;
  };
  return {
    rotateKeys(poolId, which) {
      if (which !== 'id' && which !== 'access') throw new TypeError(`which must be 'id' or 'access'`);
      return pool(poolId).keys.rotate(which, createSigningKeySync());
    },
    retireKey(poolId, kid) {
      if (!pool(poolId).keys.retire(kid)) throw new HookTargetNotFound(`no key ${kid} in pool ${poolId}`);
    },
    setJwksAvailable(poolId, up) {
      pool(poolId).keys.jwksAvailable = up;
    },
    setAdminApiFailing(failing) {
      state.adminApiFailing = failing;
    },
    setTokenEndpointDelay(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new TypeError('delay must be >= 0 ms');
      state.tokenEndpointDelayMs = ms;
    },
    tokenGrantCount(grantType) {
      return state.tokenGrants.get(grantType) ?? 0;
    },
    setUserEnabled(poolId, username, enabled) {
      const p = pool(poolId);
      const user = state.findUser(p, username);
      if (!user) throw new HookTargetNotFound(`no user ${username} in pool ${poolId}`);
      user.enabled = enabled;
      user.modifiedAt = state.now();
      if (!enabled) state.revokeUserSessions(p.id, user.sub);
    },
    setClientSettings(poolId, clientId, patch) {
      const client = pool(poolId).clients.get(clientId);
      if (!client) throw new HookTargetNotFound(`no client ${clientId} in pool ${poolId}`);
      // Validate the merged settings as a seed would be; the id cannot change.
      const merged = clientSettingsSchema.parse({ ...client.settings, ...patch, id: clientId });
      client.settings = merged;
      client.units = undefined;
      client.modifiedAt = state.now();
    },
    addUser(poolId, input) {
      const p = pool(poolId);
      const user = userSeedSchema.parse(input);
      if (user.smsMfa && !user.attributes.phone_number) throw new TypeError('smsMfa needs a phone_number attribute');
      p.users.set(user.username.toLowerCase(), userFromSeed(p.id, user, state.now()));
    },
    lastSms(poolId, username) {
      const sms = state.sentSms.get(`${pool(poolId).id}/${username.toLowerCase()}`);
      if (!sms) throw new HookTargetNotFound(`no SMS was sent to ${username} in pool ${poolId}`);
      return { ...sms };
    },
  };
}
