import { sealData, unsealData } from 'iron-session';

/**
 * Sealing with a list of secrets (newest first) on iron-session's Web Crypto seal.
 *
 * Every seal wraps the caller's data in an envelope that names its purpose (`session`, `login`) and an
 * absolute expiry checked against the injected clock, so a value sealed for one cookie cannot be
 * replayed as another, and expiry is testable. iron's own TTL (real clock) stays on as a second check.
 */

export const MIN_SECRET_LENGTH = 32;

export interface Envelope {
  /** Purpose. */
  p: string;
  /** Absolute expiry, ms since epoch. */
  exp: number;
  /** The caller's data. */
  d: unknown;
  /** Extra bound value (the OAuth state for login cookies). */
  s?: string;
}

export type UnsealFailure = 'expired' | 'invalid' | 'unknown-secret' | 'wrong-purpose';

export interface Sealer {
  seal(envelope: Envelope, ttlSeconds: number): Promise<string>;
  /** The envelope when authentic, of `purpose` and unexpired at `nowMs`; otherwise undefined. Never throws. */
  open(sealed: string, purpose: string, nowMs: number, onFailure?: (reason: UnsealFailure) => void): Promise<Envelope | undefined>;
}

/** Throws a message naming the fix when the secret list cannot be used. */
export function assertSecrets(secrets: readonly string[]): void {
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new Error('session secrets: none given; set at least one secret of 32+ characters (e.g. `openssl rand -base64 32`)');
  }
  secrets.forEach((secret, i) => {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new Error(
        `session secrets: secret #${i + 1} is ${typeof secret === 'string' ? secret.length : 0} characters; each must be at least ${MIN_SECRET_LENGTH} (e.g. \`openssl rand -base64 32\`)`,
      );
    }
  });
  if (new Set(secrets).size !== secrets.length) throw new Error('session secrets: the same secret is listed twice; remove the duplicate');
}

/**
 * A secret's id in the seal: 48 bits of its SHA-256 as a decimal integer (iron-session wants numeric
 * ids). Stable across restarts and list order, so prepending a new secret keeps old seals readable.
 */
async function secretId(secret: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret)));
  let id = 0;
  for (let i = 0; i < 6; i++) id = id * 256 + digest[i]!;
  return String(id);
}

interface Keyring {
  newest: Record<string, string>;
  all: Record<string, string>;
}

export function createSealer(secrets: readonly string[]): Sealer {
  assertSecrets(secrets);
  const list = [...secrets];
  let keyring: Promise<Keyring> | undefined;
  const getKeyring = () =>
    (keyring ??= (async () => {
      const ids = await Promise.all(list.map(secretId));
      // Null prototype: the id in a seal is attacker-chosen and must not reach Object.prototype.
      const all: Record<string, string> = Object.create(null) as Record<string, string>;
      ids.forEach((id, i) => {
        if (!(id in all)) all[id] = list[i]!;
      });
      return { newest: { [ids[0]!]: list[0]! }, all };
    })());

  return {
    async seal(envelope, ttlSeconds) {
      const { newest } = await getKeyring();
      // A JSON round trip drops `undefined` fields (iron refuses them) and yields exactly what unsealing returns.
      const plain = JSON.parse(JSON.stringify(envelope)) as Envelope;
      return sealData(plain, { password: newest, ttl: Math.max(1, Math.ceil(ttlSeconds)) });
    },
    async open(sealed, purpose, nowMs, onFailure) {
      if (!isCanonicalSeal(sealed)) {
        onFailure?.('invalid');
        return undefined;
      }
      try {
        const { all } = await getKeyring();
        let failure: UnsealFailure | undefined;
        const value: unknown = await unsealData(sealed, {
          // iron checks the expiry written into the seal itself; `exp` below is the clock-injected check.
          password: all,
          onUnsealError: (reason) => {
            failure = reason === 'unknown-password' ? 'unknown-secret' : reason;
          },
        });
        if (failure) {
          onFailure?.(failure);
          return undefined;
        }
        if (!isEnvelope(value)) {
          onFailure?.('invalid');
          return undefined;
        }
        if (value.p !== purpose) {
          onFailure?.('wrong-purpose');
          return undefined;
        }
        if (!(value.exp > nowMs)) {
          onFailure?.('expired');
          return undefined;
        }
        return value;
      } catch {
        onFailure?.('invalid');
        return undefined;
      }
    },
  };
}

/** iron's seal as iron-session writes it: `Fe26.2*id*salt*iv*data*expiry*hmacSalt*hmac~2`. */
const SEAL = /^Fe26\.2\*\d{1,20}\*[0-9a-f]{64}\*([A-Za-z0-9_-]{22})\*([A-Za-z0-9_-]+)\*\d{0,16}\*[0-9a-f]{64}\*([A-Za-z0-9_-]{43})~2$/;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Base64url without padding whose unused low bits are zero: the one spelling of its bytes. */
function isCanonicalBase64url(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 1) return false;
  if (rest === 0) return true;
  const last = B64URL.indexOf(text[text.length - 1]!);
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0;
}

/**
 * One accepted spelling per sealed value: iron's parser ignores what follows the `~` version marker
 * and base64 decoders ignore a last character's unused bits, so without this check several strings
 * open to the same session.
 */
export function isCanonicalSeal(sealed: string): boolean {
  const m = SEAL.exec(sealed);
  return !!m && isCanonicalBase64url(m[1]!) && isCanonicalBase64url(m[2]!) && isCanonicalBase64url(m[3]!);
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.p === 'string' && typeof v.exp === 'number' && 'd' in v && (v.s === undefined || typeof v.s === 'string');
}
