/**
 * Password sign-in (`Authorization: Basic`, the site's own form), checked with AdminInitiateAuth
 * (ADMIN_USER_PASSWORD_AUTH) or, for clients that allow only the public flow, InitiateAuth
 * (USER_PASSWORD_AUTH: unsigned, no AWS credentials), with SECRET_HASH when the app client has a
 * secret; the answers to its challenges with AdminRespondToAuthChallenge / RespondToAuthChallenge.
 * Both flows share every rule below (limits, answers, challenges): only the operation differs.
 * Failed attempts are rate-limited per user and per client address (sliding window, bounded
 * memory), wrong challenge answers per user. Passwords and
 * codes are never logged or kept. Web-API only.
 */
import type { Logger } from '../log';
import { StoreUnavailableError, windowLimiter, type FailMode, type LimitAttempt, type SharedStore } from '../store';
import { Lru } from '../lru';
import type { AdminRespondToAuthChallengeInput, AuthTokens, CognitoAdmin, InitiateAuthResult } from './client';
import { toCognitoAdminError } from './errors';

export interface RateLimit {
  /** Failed attempts allowed inside the window. */
  max: number;
  windowSeconds: number;
}

/** `admin`: AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH); `user`: InitiateAuth (USER_PASSWORD_AUTH). */
export type PasswordAuthFlow = 'admin' | 'user';

export interface PasswordAuthOptions {
  /** The operations of the chosen flow (the other flow's may be absent). */
  admin: Partial<Pick<CognitoAdmin, 'adminInitiateAuth' | 'adminRespondToAuthChallenge' | 'initiateAuth' | 'respondToAuthChallenge'>>;
  /** Default `admin`. */
  flow?: PasswordAuthFlow;
  clientId: string;
  /** The app client's secret; when set, SECRET_HASH is sent. */
  clientSecret?: string;
  limits: { perUser: RateLimit; perAddress: RateLimit };
  /** ms clock. Default Date.now. */
  now?: () => number;
  /** Distinct users and addresses tracked (each). Default 10,000; the least recently failing go first. */
  maxTrackedKeys?: number;
  log?: Logger;
  /**
   * A shared store: the limits count every instance's attempts (a fleet gets the configured count,
   * not N times it). While it is unavailable, `onStoreError` closed refuses sign-in
   * (`store_unavailable`), open falls back to this instance's counters.
   */
  store?: SharedStore;
  onStoreError?: FailMode;
}

export type PasswordAuthFailure = 'invalid_credentials' | 'user_disabled' | 'challenge' | 'rate_limited' | 'unavailable' | 'store_unavailable';

/** The challenges a sign-in can answer here (others, e.g. MFA_SETUP, need the hosted UI). */
export const ANSWERABLE_CHALLENGES = ['NEW_PASSWORD_REQUIRED', 'SOFTWARE_TOKEN_MFA', 'SMS_MFA'] as const;
export type AnswerableChallenge = (typeof ANSWERABLE_CHALLENGES)[number];

/** A challenge Cognito asked for, with what answering it needs. */
export interface PendingChallenge {
  challenge: AnswerableChallenge;
  /** Cognito's `Session`: single use, never shown to anyone in readable form. */
  session: string;
  /** The username the answer must name (Cognito's USER_ID_FOR_SRP, else the one typed). */
  username: string;
  /** ChallengeParameters (CODE_DELIVERY_DESTINATION, requiredAttributes...). */
  parameters: Record<string, string>;
}

export type PasswordAuthResult =
  | { ok: true; tokens: AuthTokens }
  | { ok: false; reason: PasswordAuthFailure; challenge?: string; pending?: PendingChallenge; retryAfterSeconds?: number };

/** The answer to a pending challenge: the MFA code, or the new password. */
export interface ChallengeAnswer {
  challenge: AnswerableChallenge;
  session: string;
  username: string;
  code?: string;
  newPassword?: string;
}

export type ChallengeAnswerFailure =
  | 'code_mismatch'
  | 'invalid_password'
  | 'expired'
  | 'user_disabled'
  | 'rejected'
  | 'rate_limited'
  | 'unavailable'
  | 'store_unavailable';

export type ChallengeAnswerResult =
  | { kind: 'tokens'; tokens: AuthTokens }
  | { kind: 'challenge'; pending: PendingChallenge }
  | { kind: 'failed'; reason: ChallengeAnswerFailure; detail?: string; retryAfterSeconds?: number };

export interface PasswordAuthenticator {
  /** The app client this authenticator signs in with: a challenge is answered by the client that started it. */
  readonly clientId: string;
  readonly flow: PasswordAuthFlow;
  authenticate(username: string, password: string, clientAddress: string): Promise<PasswordAuthResult>;
  /**
   * AdminRespondToAuthChallenge (RespondToAuthChallenge in the `user` flow). Wrong answers are limited per user like wrong passwords (their own
   * counter, the same `perUser` limit), so a 6-digit code cannot be guessed.
   */
  respond(answer: ChallengeAnswer): Promise<ChallengeAnswerResult>;
}

const isAnswerable = (name: string): name is AnswerableChallenge => (ANSWERABLE_CHALLENGES as readonly string[]).includes(name);

function pendingOf(result: { challengeName: string; session?: string; parameters: Record<string, string> }, username: string): PendingChallenge | undefined {
  if (!isAnswerable(result.challengeName) || !result.session) return undefined;
  return { challenge: result.challengeName, session: result.session, username: result.parameters.USER_ID_FOR_SRP || username, parameters: result.parameters };
}

/** Cognito's policy message ("Password does not conform to policy: Password not long enough") is echoed only when it looks like one. */
const POLICY_MESSAGE = /^Password (?:did|does) not conform (?:with|to) policy: [\w ,.:;'()-]{1,200}$/;

const encoder = new TextEncoder();

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** SECRET_HASH = Base64(HMAC_SHA256(key = client secret, message = username + client id)). */
export async function computeSecretHash(clientSecret: string, username: string, clientId: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(clientSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(username + clientId));
  return bytesToBase64(new Uint8Array(mac));
}

/**
 * `Authorization: Basic base64(user-id ":" password)` (RFC 7617, UTF-8). The user-id ends at the first
 * colon; the password may contain colons. Malformed (other scheme, bad base64, not UTF-8, control
 * characters, no colon, empty user-id) => undefined.
 */
export function parseBasicAuth(headerValue: string | null | undefined): { username: string; password: string } | undefined {
  if (typeof headerValue !== 'string') return undefined;
  const m = /^[ \t]*basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(headerValue);
  if (!m) return undefined;
  const b64 = m[1]!;
  if (b64.length % 4 === 1) return undefined;
  let bytes: Uint8Array;
  try {
    const bin = atob(b64);
    bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Sliding-window failure counter per key: keeps at most `max` timestamps per key, and a bounded number of keys. */
class FailureWindow {
  private readonly keys: Lru<number[]>;
  constructor(
    private readonly limit: RateLimit,
    maxKeys: number,
  ) {
    this.keys = new Lru<number[]>(maxKeys);
  }

  private live(key: string, now: number): number[] {
    const all = this.keys.get(key);
    if (!all) return [];
    const from = now - this.limit.windowSeconds * 1000;
    const kept = all.filter((t) => t > from);
    if (kept.length === 0) this.keys.delete(key);
    else if (kept.length !== all.length) this.keys.set(key, kept);
    return kept;
  }

  /** Seconds until another attempt is allowed, or 0 when one is allowed now. */
  blockedFor(key: string, now: number): number {
    const live = this.live(key, now);
    if (live.length < this.limit.max) return 0;
    const oldestThatCounts = live[live.length - this.limit.max]!;
    return Math.max(1, Math.ceil((oldestThatCounts + this.limit.windowSeconds * 1000 - now) / 1000));
  }

  /** Counts an attempt (before its outcome is known, so concurrent attempts cannot overshoot). */
  add(key: string, at: number): void {
    const live = this.live(key, at);
    live.push(at);
    this.keys.set(key, live.slice(-Math.max(1, this.limit.max)));
  }

  /** Takes back an attempt that turned out not to be a failure. */
  remove(key: string, at: number): void {
    const all = this.keys.get(key);
    if (!all) return;
    const i = all.lastIndexOf(at);
    if (i >= 0) all.splice(i, 1);
    if (all.length === 0) this.keys.delete(key);
  }

  clear(key: string): void {
    this.keys.delete(key);
  }
}

/** IPv6 clients are limited per /64 (one host usually owns a whole /64); IPv4 per address. */
export function addressKey(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.includes(']')) a = a.slice(1, a.indexOf(']'));
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (!a.includes(':')) return a;
  const mapped = /^(?:0{0,4}:){0,5}ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  const [head = '', tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

const MAX_USERNAME = 128;
const MAX_PASSWORD = 256;

export function createPasswordAuthenticator(opts: PasswordAuthOptions): PasswordAuthenticator {
  const now = opts.now ?? (() => Date.now());
  const maxKeys = opts.maxTrackedKeys ?? 10_000;
  const perUser = new FailureWindow(opts.limits.perUser, maxKeys);
  const perAddress = new FailureWindow(opts.limits.perAddress, maxKeys);
  const shared = opts.store?.shared
    ? {
        perUser: windowLimiter(opts.store, 'pw-user', { max: opts.limits.perUser.max, windowSeconds: opts.limits.perUser.windowSeconds }),
        perAddress: windowLimiter(opts.store, 'pw-addr', { max: opts.limits.perAddress.max, windowSeconds: opts.limits.perAddress.windowSeconds }),
      }
    : undefined;

  /** Counts the attempt in the shared store: undefined = store unavailable. */
  const sharedAttempt = async (
    userKey: string,
    addrKey: string,
  ): Promise<{ refused?: number; undo(): Promise<void>; success(): Promise<void> } | undefined> => {
    if (!shared) return undefined;
    const taken: Array<Extract<LimitAttempt, { ok: true }>> = [];
    try {
      for (const [limiter, key] of [
        [shared.perUser, userKey],
        [shared.perAddress, addrKey],
      ] as const) {
        const a = await limiter.attempt(key);
        if (!a.ok) {
          for (const t of taken) await t.undo();
          return { refused: a.retryAfterSeconds, undo: async () => {}, success: async () => {} };
        }
        taken.push(a);
      }
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      return undefined;
    }
    const quietly = (p: Promise<void>) => p.catch(() => {});
    return {
      undo: async () => {
        for (const t of taken) await quietly(t.undo());
      },
      success: async () => {
        await quietly(taken[1]!.undo());
        await quietly(shared.perUser.clear(userKey));
      },
    };
  };

  const localAnswers = new FailureWindow(opts.limits.perUser, maxKeys);
  const sharedAnswers = opts.store?.shared
    ? windowLimiter(opts.store, 'pw-answer-user', { max: opts.limits.perUser.max, windowSeconds: opts.limits.perUser.windowSeconds })
    : undefined;

  const flow: PasswordAuthFlow = opts.flow ?? 'admin';
  const admin = opts.admin;
  /** Whether the admin object has the chosen flow's calls (a test double may offer one flow only). */
  const canInitiate = flow === 'user' ? !!admin.initiateAuth : !!admin.adminInitiateAuth;
  const canRespond = flow === 'user' ? !!admin.respondToAuthChallenge : !!admin.adminRespondToAuthChallenge;
  const initiate = (authParameters: Record<string, string>): Promise<InitiateAuthResult> => {
    if (flow === 'user' && admin.initiateAuth) return admin.initiateAuth({ clientId: opts.clientId, authFlow: 'USER_PASSWORD_AUTH', authParameters });
    if (flow === 'admin' && admin.adminInitiateAuth)
      return admin.adminInitiateAuth({ clientId: opts.clientId, authFlow: 'ADMIN_USER_PASSWORD_AUTH', authParameters });
    throw new Error('no sign-in call for the flow');
  };
  const respondWith = (input: AdminRespondToAuthChallengeInput): Promise<InitiateAuthResult> => {
    if (flow === 'user' && admin.respondToAuthChallenge) return admin.respondToAuthChallenge(input);
    if (flow === 'admin' && admin.adminRespondToAuthChallenge) return admin.adminRespondToAuthChallenge(input);
    throw new Error('no challenge call for the flow');
  };
  const initiateOperation = flow === 'user' ? 'InitiateAuth' : 'AdminInitiateAuth';

  return {
    clientId: opts.clientId,
    flow,

    async respond(answer) {
      const userKey = answer.username.normalize('NFC').toLowerCase();
      const at = now();
      let taken: { undo(): Promise<void> } | undefined;
      if (sharedAnswers) {
        try {
          const a = await sharedAnswers.attempt(userKey);
          if (!a.ok) return { kind: 'failed', reason: 'rate_limited', retryAfterSeconds: a.retryAfterSeconds };
          taken = a;
        } catch (e) {
          if (!(e instanceof StoreUnavailableError)) throw e;
          if (opts.onStoreError !== 'open') return { kind: 'failed', reason: 'store_unavailable' };
        }
      }
      if (!taken) {
        const wait = localAnswers.blockedFor(userKey, at);
        if (wait > 0) {
          opts.log?.warn('challenge answers rate limited', { retryAfterSeconds: wait });
          return { kind: 'failed', reason: 'rate_limited', retryAfterSeconds: wait };
        }
        localAnswers.add(userKey, at);
      }
      const notAFailure = () => {
        if (taken) void taken.undo().catch(() => {});
        else localAnswers.remove(userKey, at);
      };
      const succeeded = () => {
        if (taken) void sharedAnswers!.clear(userKey).catch(() => {});
        localAnswers.clear(userKey);
      };
      if (!canRespond) {
        notAFailure();
        return { kind: 'failed', reason: 'unavailable' };
      }
      const responses: Record<string, string> = { USERNAME: answer.username };
      if (answer.challenge === 'NEW_PASSWORD_REQUIRED') responses.NEW_PASSWORD = answer.newPassword ?? '';
      else responses[answer.challenge === 'SMS_MFA' ? 'SMS_MFA_CODE' : 'SOFTWARE_TOKEN_MFA_CODE'] = answer.code ?? '';
      try {
        if (opts.clientSecret) responses.SECRET_HASH = await computeSecretHash(opts.clientSecret, answer.username, opts.clientId);
        const result = await respondWith({
          clientId: opts.clientId,
          challengeName: answer.challenge,
          session: answer.session,
          responses,
        });
        succeeded();
        if (result.kind === 'tokens') return { kind: 'tokens', tokens: result.tokens };
        const pending = pendingOf(result, answer.username);
        if (pending) return { kind: 'challenge', pending };
        opts.log?.warn('challenge answered, but Cognito asks for a challenge the gateway cannot answer', { challenge: result.challengeName });
        return { kind: 'failed', reason: 'rejected', detail: result.challengeName };
      } catch (e) {
        const err = toCognitoAdminError(flow === 'user' ? 'RespondToAuthChallenge' : 'AdminRespondToAuthChallenge', e);
        const detail = err.detail.toLowerCase();
        switch (err.name) {
          case 'CodeMismatchException':
            return { kind: 'failed', reason: 'code_mismatch' };
          case 'InvalidPasswordException':
            notAFailure();
            return { kind: 'failed', reason: 'invalid_password', ...(POLICY_MESSAGE.test(err.detail) ? { detail: err.detail } : {}) };
          case 'ExpiredCodeException':
          case 'UserNotFoundException':
            notAFailure();
            return { kind: 'failed', reason: 'expired' };
          case 'TooManyFailedAttemptsException':
            return { kind: 'failed', reason: 'rate_limited' };
          case 'NotAuthorizedException':
            notAFailure();
            if (detail.includes('disabled')) return { kind: 'failed', reason: 'user_disabled' };
            if (detail.includes('secret hash') || detail.includes('configured with secret')) {
              opts.log?.error('challenge answer misconfigured: the app client secret does not match', { error: err.name, clientId: opts.clientId });
              return { kind: 'failed', reason: 'unavailable' };
            }
            // "Invalid session for the user" (used, expired, another client's): start again.
            return { kind: 'failed', reason: 'expired' };
          case 'InvalidParameterException':
            notAFailure();
            opts.log?.warn('Cognito refused a challenge answer', { error: err.name, detail: err.detail });
            return { kind: 'failed', reason: 'rejected' };
          default:
            notAFailure();
            if (err.accessDenied || err.name === 'ResourceNotFoundException') {
              opts.log?.error('challenge answer misconfigured', { error: err.name, detail: err.detail, clientId: opts.clientId });
            } else {
              opts.log?.warn('challenge answer: Cognito unavailable', { error: err.name });
            }
            return { kind: 'failed', reason: 'unavailable' };
        }
      }
    },

    async authenticate(username, password, clientAddress) {
      if (!username || !password || username.length > MAX_USERNAME || password.length > MAX_PASSWORD) {
        return { ok: false, reason: 'invalid_credentials' };
      }
      // Cognito usernames are case-insensitive in current pools: so is the limit.
      const userKey = username.normalize('NFC').toLowerCase();
      const addrKey = addressKey(clientAddress);
      const at = now();
      const global = await sharedAttempt(userKey, addrKey);
      if (shared && !global && opts.onStoreError !== 'open') return { ok: false, reason: 'store_unavailable' };
      const wait = global ? (global.refused ?? 0) : Math.max(perUser.blockedFor(userKey, at), perAddress.blockedFor(addrKey, at));
      if (wait > 0) {
        opts.log?.warn('password sign-in rate limited', { address: addrKey, retryAfterSeconds: wait, global: !!global });
        return { ok: false, reason: 'rate_limited', retryAfterSeconds: wait };
      }
      if (!global) {
        perUser.add(userKey, at);
        perAddress.add(addrKey, at);
      }
      const notAFailure = () => {
        if (global) void global.undo();
        perUser.remove(userKey, at);
        perAddress.remove(addrKey, at);
      };

      if (!canInitiate) {
        notAFailure();
        opts.log?.error('password sign-in misconfigured: no client for the flow', { operation: initiateOperation, clientId: opts.clientId });
        return { ok: false, reason: 'unavailable' };
      }
      const authParameters: Record<string, string> = { USERNAME: username, PASSWORD: password };
      try {
        if (opts.clientSecret) authParameters.SECRET_HASH = await computeSecretHash(opts.clientSecret, username, opts.clientId);
        const result = await initiate(authParameters);
        if (result.kind === 'tokens') {
          if (global) await global.success();
          else notAFailure();
          perUser.clear(userKey);
          return { ok: true, tokens: result.tokens };
        }
        notAFailure();
        const pending = pendingOf(result, username);
        return { ok: false, reason: 'challenge', challenge: result.challengeName, ...(pending ? { pending } : {}) };
      } catch (e) {
        const err = toCognitoAdminError(initiateOperation, e);
        const detail = err.detail.toLowerCase();
        switch (err.name) {
          case 'NotAuthorizedException':
            if (detail.includes('disabled')) return { ok: false, reason: 'user_disabled' };
            if (detail.includes('attempts exceeded')) return { ok: false, reason: 'rate_limited' };
            if (detail.includes('secret hash') || detail.includes('secret_hash') || detail.includes('configured with secret')) {
              notAFailure();
              opts.log?.error('password sign-in misconfigured: the app client secret does not match', { error: err.name, clientId: opts.clientId });
              return { ok: false, reason: 'unavailable' };
            }
            return { ok: false, reason: 'invalid_credentials' };
          case 'UserNotFoundException':
            return { ok: false, reason: 'invalid_credentials' };
          case 'PasswordResetRequiredException':
            notAFailure();
            return { ok: false, reason: 'challenge', challenge: 'PASSWORD_RESET_REQUIRED' };
          case 'UserNotConfirmedException':
            notAFailure();
            return { ok: false, reason: 'challenge', challenge: 'USER_NOT_CONFIRMED' };
          default:
            notAFailure();
            if (err.name === 'InvalidParameterException' || err.name === 'ResourceNotFoundException' || err.accessDenied) {
              // Not the user's fault: the client lacks ALLOW_ADMIN_USER_PASSWORD_AUTH / ALLOW_USER_PASSWORD_AUTH, a wrong id, or IAM.
              opts.log?.error('password sign-in misconfigured', { error: err.name, detail: err.detail, clientId: opts.clientId, flow });
            } else {
              opts.log?.warn('password sign-in: Cognito unavailable', { error: err.name });
            }
            return { ok: false, reason: 'unavailable' };
        }
      }
    },
  };
}
