import { randomToken } from '../ids';
import { CODE_LIFETIME_MS, type EmulatorState, type UserRecord } from '../state';
import type { AuthorizeRequest } from './authorize-request';

/** Issues a single-use authorization code, valid 5 minutes, bound to client, redirect_uri and PKCE. */
export function issueAuthorizationCode(state: EmulatorState, request: AuthorizeRequest, user: UserRecord, authTime: number): string {
  const code = randomToken(27);
  state.codes.set(code, {
    poolId: request.pool.id,
    clientId: request.client.settings.id,
    redirectUri: request.redirectUri,
    sub: user.sub,
    scopes: request.scopes,
    nonce: request.nonce,
    codeChallenge: request.codeChallenge,
    authTime,
    expiresAt: state.now() + CODE_LIFETIME_MS,
  });
  return code;
}
