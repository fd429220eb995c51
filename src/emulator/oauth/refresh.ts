import { newRefreshToken } from '../ids';
import type { AuthSession, ClientRecord, EmulatorState, PoolState, UserRecord } from '../state';

export type RefreshOutcome =
  | { ok: true; pool: PoolState; user: UserRecord; session: AuthSession; rotatedRefreshToken?: string }
  | { ok: false; reason: 'invalid' | 'disabled' };

/**
 * Redeems a refresh token for `client`. With `rotate`, a new refresh token replaces it and the old one
 * keeps working for the client's grace period (Cognito's refresh-token rotation).
 */
export function redeemRefreshToken(state: EmulatorState, client: ClientRecord, token: string, rotate: boolean): RefreshOutcome {
  const now = state.now();
  const record = state.refreshTokens.get(token);
  if (!record) return { ok: false, reason: 'invalid' };
  if (record.diesAt !== undefined && now >= record.diesAt) return { ok: false, reason: 'invalid' };
  const session = state.sessions.get(record.originJti);
  if (!session || now >= session.expiresAt || session.clientId !== client.settings.id) return { ok: false, reason: 'invalid' };
  const pool = state.pool(session.poolId);
  const user = pool && state.userBySub(pool, session.sub);
  if (!pool || !user) return { ok: false, reason: 'invalid' };
  // Checked before revocation: disabling also revokes, and Cognito then says "User is disabled.".
  if (!user.enabled) return { ok: false, reason: 'disabled' };
  if (session.revoked) return { ok: false, reason: 'invalid' };
  if (!rotate) return { ok: true, pool, user, session };
  const rotatedRefreshToken = newRefreshToken();
  state.refreshTokens.set(rotatedRefreshToken, { originJti: session.originJti });
  const graceEnds = now + client.settings.refreshTokenGracePeriod * 1000;
  record.diesAt = Math.min(record.diesAt ?? graceEnds, graceEnds);
  return { ok: true, pool, user, session, rotatedRefreshToken };
}
