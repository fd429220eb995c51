/**
 * Sign-out everywhere: AdminUserGlobalSignOut ends every refresh token of the user, so the user's other
 * sessions end at their next revalidation (refresh fails with invalid_grant). Access tokens already
 * issued stay valid until they expire: Cognito publishes no revocation list. Web-API only.
 */
import type { Logger } from '../log';
import type { CognitoAdmin } from './client';
import { toCognitoAdminError, type CognitoAdminError } from './errors';
import type { UserDirectory } from './user-directory';

export type SignOutEverywhereResult = { ok: true } | { ok: false; error: CognitoAdminError };

export async function signOutEverywhere(
  deps: { admin: Pick<CognitoAdmin, 'globalSignOut'>; directory?: Pick<UserDirectory, 'forget'>; log?: Logger },
  username: string,
): Promise<SignOutEverywhereResult> {
  try {
    await deps.admin.globalSignOut(username);
    deps.directory?.forget(username);
    deps.log?.info('signed out everywhere', { user: username });
    return { ok: true };
  } catch (e) {
    const error = toCognitoAdminError('AdminUserGlobalSignOut', e);
    // A user deleted meanwhile has no sessions left to end.
    if (error.name === 'UserNotFoundException') return { ok: true };
    deps.log?.error('sign-out everywhere failed', { error: error.name, detail: error.detail });
    return { ok: false, error };
  }
}
