/**
 * `Authorization: Basic` on an app that allows it (apps[].cognito.passwordAuth): the realm's
 * password sign-in, then the ID token verified like any other, remembered for the user-data
 * retention period (cognitoAdmin.userCacheRetention) so a script does not cost one sign-in per
 * request, yet a remembered sign-in still answers to sign-out everywhere and a disabled user.
 */
import { parseBasicAuth } from '../cognito';
import { identityFromClaims, type Identity } from '../identity';
import type { CompiledApp } from '../policy';
import { sha256Base64url } from '../session';
import type { Gateway } from './context';

export type BasicOutcome =
  | { kind: 'identity'; identity: Identity }
  | {
      kind: 'refused';
      code: 'invalid_request' | 'invalid_credentials' | 'challenge_required' | 'rate_limited' | 'idp_unavailable' | 'store_unavailable';
      detail?: string;
      retryAfterSeconds?: number;
    };

/** `Authorization: Basic` on an app that allows it: the realm's password flow (admin or user), then the ID token is verified like any other. */
export async function authenticateBasic(gw: Gateway, app: CompiledApp, header: string, clientAddress: string): Promise<BasicOutcome> {
  const cognito = gw.cognito!;
  const creds = parseBasicAuth(header);
  if (!creds) return { kind: 'refused', code: 'invalid_request', detail: 'The Authorization: Basic header is malformed.' };
  const key = await sha256Base64url(`${app.id}\u0000${creds.username}\u0000${creds.password}`);
  const now = gw.now();
  const cached = cognito.basicCache.get(key);
  if (cached && cached.until > now) {
    // A cached sign-in still answers to sign-out everywhere and a disabled user (the user's not-before time).
    const sub = typeof cached.claims.sub === 'string' ? cached.claims.sub : undefined;
    const verdict = sub ? await gw.stores.revocations.check({ sub, issuedAt: typeof cached.claims.iat === 'number' ? cached.claims.iat : 0 }) : 'ok';
    if (verdict === 'unavailable') return { kind: 'refused', code: 'store_unavailable', detail: 'revocation check' };
    if (verdict === 'ok') return { kind: 'identity', identity: identityFromClaims(cached.claims, 'basic', { groupsClaim: gw.config.idp.groupsClaim }) };
    cognito.basicCache.delete(key);
  }
  // The app's realm signs in with its own app client and verifies with it as audience.
  const realm = gw.realms.of(app);
  // (checkConfig refuses passwordAuth on a realm of another pool, which has no authenticator.)
  if (!realm.passwords) return { kind: 'refused', code: 'idp_unavailable', detail: 'password sign-in is not available in this realm' };
  const result = await realm.passwords.authenticate(creds.username, creds.password, clientAddress);
  if (!result.ok) {
    switch (result.reason) {
      case 'rate_limited':
        return { kind: 'refused', code: 'rate_limited', retryAfterSeconds: result.retryAfterSeconds };
      case 'unavailable':
        return { kind: 'refused', code: 'idp_unavailable' };
      case 'store_unavailable':
        return { kind: 'refused', code: 'store_unavailable', detail: 'password rate limits' };
      case 'challenge':
        return { kind: 'refused', code: 'challenge_required', detail: result.challenge ?? 'challenge' };
      default:
        return { kind: 'refused', code: 'invalid_credentials' };
    }
  }
  const claims = await realm.verifier.verifyIdToken(result.tokens.idToken);
  cognito.basicCache.set(key, { claims, until: now + cognito.basicCacheMs });
  return { kind: 'identity', identity: identityFromClaims(claims, 'basic', { groupsClaim: gw.config.idp.groupsClaim }) };
}
