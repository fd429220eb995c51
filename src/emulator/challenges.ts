import { createHmac, randomInt } from 'node:crypto';
import { randomToken } from './ids';
import { secretsEqual } from './oauth/client-auth';
import { meetsPasswordPolicy, PASSWORD_POLICY_MESSAGE } from './password-policy';
import { CHALLENGE_SESSION_LIFETIME_MS, type ClientRecord, type EmulatorState, type PoolState, type UserRecord } from './state';

/**
 * Sign-in challenges shared by AdminInitiateAuth/AdminRespondToAuthChallenge and the hosted UI:
 * NEW_PASSWORD_REQUIRED (FORCE_CHANGE_PASSWORD users), then SOFTWARE_TOKEN_MFA (users with a TOTP
 * secret) or SMS_MFA (users with `smsMfa`: a code "texted" to their phone_number, read back through
 * the `lastSmsCode` hook as a phone would).
 */

export type ChallengeName = 'NEW_PASSWORD_REQUIRED' | 'SOFTWARE_TOKEN_MFA' | 'SMS_MFA';
export const CHALLENGE_NAMES: readonly ChallengeName[] = ['NEW_PASSWORD_REQUIRED', 'SOFTWARE_TOKEN_MFA', 'SMS_MFA'];

/** The next challenge a user whose password just checked out must answer, if any. TOTP wins over SMS, as Cognito prefers it. */
export function nextChallenge(user: UserRecord): ChallengeName | undefined {
  if (user.status === 'FORCE_CHANGE_PASSWORD') return 'NEW_PASSWORD_REQUIRED';
  if (user.totpSecret) return 'SOFTWARE_TOKEN_MFA';
  if (user.smsMfa) return 'SMS_MFA';
  return undefined;
}

/** `+*******1234`, as Cognito's CODE_DELIVERY_DESTINATION shows a phone number. */
export function maskedPhone(phone: string): string {
  return `+${'*'.repeat(Math.max(0, phone.replace(/^\+/, '').length - 4))}${phone.slice(-4)}`;
}

/** Opens a challenge session; its token is single use (each answer gets a new one). SMS_MFA "sends" its code now. */
export function openChallenge(state: EmulatorState, pool: PoolState, client: ClientRecord, user: UserRecord, challenge: ChallengeName): string {
  state.pruneExpired();
  const token = randomToken(96);
  let smsCode: string | undefined;
  if (challenge === 'SMS_MFA') {
    smsCode = String(randomInt(0, 1_000_000)).padStart(6, '0');
    state.sentSms.set(`${pool.id}/${user.username.toLowerCase()}`, { to: user.attributes.phone_number ?? '', code: smsCode, at: state.now() });
  }
  state.challengeSessions.set(token, {
    poolId: pool.id,
    clientId: client.settings.id,
    username: user.username.toLowerCase(),
    challenge,
    ...(smsCode ? { smsCode } : {}),
    expiresAt: state.now() + CHALLENGE_SESSION_LIFETIME_MS,
  });
  return token;
}

export type ChallengeAnswer =
  | { ok: true; user: UserRecord; next?: ChallengeName }
  | {
      ok: false;
      error: 'invalid-session' | 'expired-session' | 'wrong-challenge' | 'code-mismatch' | 'missing' | 'disabled' | 'invalid-password';
      message: string;
    };

/**
 * Checks an answer to the challenge behind `sessionToken`. A bad MFA code or a new password the
 * policy refuses leaves the session usable (the user may retry); anything else that fails, and every
 * success, consumes it.
 */
export function answerChallenge(
  state: EmulatorState,
  pool: PoolState,
  client: ClientRecord,
  sessionToken: string,
  challenge: string,
  responses: { newPassword?: string; totpCode?: string; smsCode?: string },
): ChallengeAnswer {
  const session = state.challengeSessions.get(sessionToken);
  if (!session || session.poolId !== pool.id || session.clientId !== client.settings.id) {
    return { ok: false, error: 'invalid-session', message: 'Invalid session for the user.' };
  }
  if (state.now() >= session.expiresAt) {
    state.challengeSessions.delete(sessionToken);
    return { ok: false, error: 'expired-session', message: 'Invalid session for the user, session is expired.' };
  }
  const user = pool.users.get(session.username);
  if (!user) {
    state.challengeSessions.delete(sessionToken);
    return { ok: false, error: 'invalid-session', message: 'Invalid session for the user.' };
  }
  if (challenge !== session.challenge) {
    return { ok: false, error: 'wrong-challenge', message: `Invalid challenge name: expected ${session.challenge}` };
  }
  if (!user.enabled) {
    state.challengeSessions.delete(sessionToken);
    return { ok: false, error: 'disabled', message: 'User is disabled.' };
  }
  if (session.challenge === 'NEW_PASSWORD_REQUIRED') {
    if (!responses.newPassword) return { ok: false, error: 'missing', message: 'Missing required parameter NEW_PASSWORD' };
    if (!meetsPasswordPolicy(responses.newPassword)) return { ok: false, error: 'invalid-password', message: PASSWORD_POLICY_MESSAGE };
    user.password = responses.newPassword;
    user.status = 'CONFIRMED';
    user.modifiedAt = state.now();
  } else if (session.challenge === 'SMS_MFA') {
    if (!responses.smsCode) return { ok: false, error: 'missing', message: 'Missing required parameter SMS_MFA_CODE' };
    if (!secretsEqual(responses.smsCode, session.smsCode ?? '')) return { ok: false, error: 'code-mismatch', message: 'Invalid code received for user' };
  } else {
    if (!responses.totpCode) return { ok: false, error: 'missing', message: 'Missing required parameter SOFTWARE_TOKEN_MFA_CODE' };
    if (!totpMatches(user.totpSecret ?? '', responses.totpCode, state.now())) {
      return { ok: false, error: 'code-mismatch', message: 'Invalid code received for user' };
    }
  }
  state.challengeSessions.delete(sessionToken);
  const next = session.challenge === 'NEW_PASSWORD_REQUIRED' ? nextChallenge(user) : undefined;
  return { ok: true, user, next };
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new Error('not base32');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (HMAC-SHA1, 30 s step, 6 digits) for the step `counter`. */
export function totpAt(secret: Buffer, counter: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/** Accepts the code of the current 30 s step or one step either side (clock skew), as Cognito does. */
export function totpMatches(base32Secret: string, code: string, nowMs: number): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  let secret: Buffer;
  try {
    secret = base32Decode(base32Secret);
  } catch {
    return false;
  }
  const step = Math.floor(nowMs / 30_000);
  let match = false;
  for (const d of [-1, 0, 1]) if (secretsEqual(code, totpAt(secret, step + d))) match = true;
  return match;
}
