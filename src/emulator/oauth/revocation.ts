import type { EmulatorState } from '../state';

/** Revokes a refresh token's whole session (its origin_jti); used by /oauth2/revoke and RevokeToken. */
export function revokeRefreshToken(state: EmulatorState, clientId: string, token: string): 'revoked' | 'unknown' | 'other-client' {
  const record = state.refreshTokens.get(token);
  const session = record && state.sessions.get(record.originJti);
  if (!session) return 'unknown';
  if (session.clientId !== clientId) return 'other-client';
  state.revokeSession(session.originJti);
  return 'revoked';
}
