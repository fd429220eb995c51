/**
 * The gateway's error pages: status, code and wording per situation, so every caller says the same
 * thing. Wording says what happened and what to do; never which rule refused someone.
 */
import type { ErrorPageOptions } from './error-page';

export type GatewayErrorKind =
  | 'bad_request'
  | 'sign_in_required'
  | 'access_denied'
  | 'no_app'
  | 'upstream_unreachable'
  | 'idp_unavailable'
  | 'upstream_timeout'
  | 'login_idp_error'
  | 'login_state_invalid'
  | 'login_code_replayed';

export interface ErrorContext {
  requestId: string;
  app?: string;
  contact?: string;
  user?: string;
  /** Sign-in link (401) or "start again" link (login errors). */
  retryHref?: string;
  /** The `error` parameter the IdP sent to the callback (login_idp_error). */
  idpError?: string;
  headers?: Headers;
}

/** IdP error codes are echoed only when they look like OAuth error codes, never as free text. */
const OAUTH_ERROR_CODE = /^[a-z0-9_]{1,64}$/;

export function gatewayError(kind: GatewayErrorKind, ctx: ErrorContext): ErrorPageOptions {
  const app = ctx.app ?? 'this application';
  const ask = ctx.contact ? `ask ${ctx.contact}` : `ask the administrator of ${app}`;
  const report = `If it keeps happening, ${ctx.contact ? `tell ${ctx.contact}` : 'tell the administrator'} and quote the request id below.`;
  const base = { requestId: ctx.requestId, app: ctx.app, contact: ctx.contact, headers: ctx.headers };
  switch (kind) {
    case 'bad_request':
      return { ...base, status: 400, code: 'invalid_request', title: 'Bad request',
        message: 'The address of this request is not valid, so it was not passed on.',
        action: 'Check the link or the address and try again.' };
    case 'sign_in_required':
      return { ...base, status: 401, code: 'login_required', title: 'Sign-in required',
        message: `You need to sign in to use ${app}.`, action: 'Sign in, then try again.',
        wwwAuthenticate: 'Bearer', retryHref: ctx.retryHref, retryLabel: 'Sign in' };
    case 'access_denied':
      return { ...base, status: 403, code: 'access_denied', title: 'Access denied', user: ctx.user,
        message: `Your account does not have access to ${app}.`,
        action: `If you need access, ${ask}. If you signed in with the wrong account, sign out and sign in again.` };
    case 'no_app':
      return { ...base, status: 404, code: 'not_found', title: 'No application here',
        message: 'No application is configured at this address.', action: 'Check the address.' };
    case 'upstream_unreachable':
      return { ...base, status: 502, code: 'upstream_unreachable', title: 'Application unavailable',
        message: `${capitalise(app)} could not be reached.`, action: `Try again in a moment. ${report}`,
        retryHref: ctx.retryHref };
    case 'idp_unavailable':
      return { ...base, status: 503, code: 'idp_unavailable', title: 'Sign-in service unavailable',
        message: 'The sign-in service could not be reached, so your sign-in could not be checked.',
        action: `Try again in a moment. ${report}`, retryHref: ctx.retryHref };
    case 'upstream_timeout':
      return { ...base, status: 504, code: 'upstream_timeout', title: 'Application did not respond in time',
        message: `${capitalise(app)} took too long to answer.`, action: `Try again in a moment. ${report}`,
        retryHref: ctx.retryHref };
    case 'login_idp_error': {
      const code = ctx.idpError && OAUTH_ERROR_CODE.test(ctx.idpError) ? ctx.idpError : 'unknown_error';
      return { ...base, status: 400, code: 'login_failed', title: 'Sign-in failed',
        message: `The sign-in service reported an error (${code}).`, action: `Start again. ${report}`,
        retryHref: ctx.retryHref, retryLabel: 'Start again' };
    }
    case 'login_state_invalid':
      return { ...base, status: 400, code: 'invalid_state', title: 'Sign-in expired',
        message: 'This sign-in attempt has expired or was not started in this browser.',
        action: 'Start again; it only takes a moment.', retryHref: ctx.retryHref, retryLabel: 'Start again' };
    case 'login_code_replayed':
      return { ...base, status: 400, code: 'invalid_grant', title: 'Sign-in link already used',
        message: 'This sign-in response has already been used (for example by going back or reloading the page).',
        action: 'Start again to sign in.', retryHref: ctx.retryHref, retryLabel: 'Start again' };
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
