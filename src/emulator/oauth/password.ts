import { secretsEqual } from './client-auth';
import type { EmulatorState, PoolState, UserRecord } from '../state';

/** Why a username/password sign-in did not produce tokens (shared by the hosted UI and the admin API). */
export type PasswordCheck =
  | { ok: true; user: UserRecord }
  | {
      ok: false;
      reason: 'no-such-user' | 'wrong-password' | 'disabled' | 'unconfirmed' | 'reset-required' | 'new-password-required';
      user?: UserRecord;
    };

export function checkPassword(_state: EmulatorState, pool: PoolState, username: string, password: string): PasswordCheck {
  const user = pool.users.get(username.toLowerCase());
  if (!user) return { ok: false, reason: 'no-such-user' };
  // Federated users have no pool password.
  if (user.status === 'EXTERNAL_PROVIDER' || !secretsEqual(password, user.password)) {
    return { ok: false, reason: 'wrong-password', user };
  }
  if (!user.enabled) return { ok: false, reason: 'disabled', user };
  if (user.status === 'UNCONFIRMED') return { ok: false, reason: 'unconfirmed', user };
  if (user.status === 'RESET_REQUIRED') return { ok: false, reason: 'reset-required', user };
  if (user.status === 'FORCE_CHANGE_PASSWORD') return { ok: false, reason: 'new-password-required', user };
  return { ok: true, user };
}

/** The hosted UI's message for each failure (an unknown user looks like a wrong password). */
export const HOSTED_UI_MESSAGES: Record<Exclude<PasswordCheck, { ok: true }>['reason'], string> = {
  'no-such-user': 'Incorrect username or password.',
  'wrong-password': 'Incorrect username or password.',
  disabled: 'User is disabled.',
  unconfirmed: 'User is not confirmed.',
  'reset-required': 'Password reset required for the user.',
  'new-password-required': 'You must change your temporary password.',
};
