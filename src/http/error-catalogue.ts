/**
 * The one catalogue of errors the gateway answers. Every error page and every JSON error comes from
 * an entry here: a stable code (the JSON `error` field, exported as a constant), the HTTP status, the
 * title and text a person reads, and the line the operator's log gets. Wording says what happened and
 * what to do; never which rule refused someone. README.md lists the codes (a test keeps them equal).
 */
import { renderError, type ErrorPageOptions } from './error-page';

/** Stable error codes. Clients and dashboards may key on them: never rename one. */
export const ErrorCode = {
  BadRequest: 'bad_request',
  RequestTimeout: 'request_timeout',
  HeadersTooLarge: 'headers_too_large',
  ExpectationFailed: 'expectation_failed',
  BadPath: 'bad_path',
  NotFound: 'not_found',
  MethodNotAllowed: 'method_not_allowed',
  NoApp: 'no_app',
  InvalidRequest: 'invalid_request',
  Unauthorized: 'unauthorized',
  InvalidToken: 'invalid_token',
  InvalidCredentials: 'invalid_credentials',
  ChallengeRequired: 'challenge_required',
  MfaCodeMismatch: 'mfa_code_mismatch',
  NewPasswordRejected: 'new_password_rejected',
  ChallengeExpired: 'challenge_expired',
  ChallengeInvalid: 'challenge_invalid',
  RateLimited: 'rate_limited',
  AccessDenied: 'access_denied',
  InsufficientScope: 'insufficient_scope',
  UntrustedProxy: 'untrusted_proxy',
  CsrfRejected: 'csrf_rejected',
  CrossOriginUpgrade: 'cross_origin_upgrade',
  PasswordSignInDisabled: 'password_sign_in_disabled',
  MissingOriginalRequest: 'missing_original_request',
  ConflictingOriginalRequest: 'conflicting_original_request',
  ForwardAuthDisabled: 'forward_auth_disabled',
  IdpError: 'idp_error',
  InvalidCallback: 'invalid_callback',
  LoginExpired: 'login_expired',
  CodeRejected: 'code_rejected',
  InvalidTokenResponse: 'invalid_token_response',
  IdTokenInvalid: 'id_token_invalid',
  UserDisabled: 'user_disabled',
  SessionTooLarge: 'session_too_large',
  IdpRejectedClient: 'idp_rejected_client',
  UpstreamUnreachable: 'upstream_unreachable',
  IdpUnavailable: 'idp_unavailable',
  JwksUnavailable: 'jwks_unavailable',
  UpstreamTimeout: 'upstream_timeout',
  NotReady: 'not_ready',
  StoreUnavailable: 'store_unavailable',
  SignInRateLimited: 'sign_in_rate_limited',
  InternalError: 'internal_error',
  GatewayMisconfigured: 'gateway_misconfigured',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorContext {
  requestId: string;
  /** The app's display name. */
  app?: string;
  contact?: string;
  /** Who the user is signed in as (403 pages). */
  user?: string;
  /** A detail the entry puts into its text (a token error description, the scopes wanted, an IdP error code). */
  detail?: string;
  /** One of the entry's `statuses` (e.g. 504 instead of 503 when the IdP timed out, 403 for `no_app`). */
  status?: number;
  retryHref?: string;
  retryLabel?: string;
  wwwAuthenticate?: string;
  headers?: Headers;
  /** `negotiate`: HTML or JSON by Accept even for an entry that is always JSON (a browser's form post). */
  format?: 'negotiate';
}

export interface CatalogueEntry {
  status: number;
  /** Other statuses a caller may choose for the same situation. */
  statuses?: readonly number[];
  title: string;
  /** What happened, for a person. */
  message(ctx: ErrorContext): string;
  /** What to do next. */
  action?(ctx: ErrorContext): string;
  /** The label of the retry link when the caller gives one. */
  retryLabel?: string;
  /** Always JSON whatever Accept says (answers meant for programs: 401s that replace a redirect, forward auth). */
  json?: boolean;
  /** What the operator's log line says, and at which level. */
  log: string;
  level: 'info' | 'warn' | 'error';
}

const appName = (ctx: ErrorContext) => ctx.app ?? 'this application';
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const report = (ctx: ErrorContext) =>
  `If it keeps happening, ${ctx.contact ? `tell ${ctx.contact}` : 'tell the administrator'} and quote the request id below.`;
const startAgain = () => 'Start again; it only takes a moment.';
/** IdP error codes are echoed only when they look like OAuth error codes, never as free text. */
const OAUTH_ERROR_CODE = /^[a-z0-9_]{1,64}$/;

export const ERROR_CATALOGUE: Readonly<Record<ErrorCode, CatalogueEntry>> = {
  bad_request: {
    status: 400,
    title: 'Bad request',
    level: 'info',
    log: 'malformed request (HTTP syntax)',
    message: (c) => c.detail ?? 'The request is malformed.',
  },
  request_timeout: {
    status: 408,
    title: 'Request timed out',
    level: 'info',
    log: 'the request did not arrive in time (listen.headersTimeout / listen.requestTimeout)',
    message: () => 'The request did not arrive in time, so the connection was closed.',
    action: () => 'Try again.',
  },
  headers_too_large: {
    status: 431,
    title: 'Request headers too large',
    level: 'info',
    log: 'the request had more header lines or bytes than listen.maxHeaderCount / listen.maxHeaderSize',
    message: () => 'The request has more header lines or bytes than the gateway accepts.',
    action: () => 'Clear the cookies of this site and try again.',
  },
  expectation_failed: {
    status: 417,
    title: 'Expectation failed',
    level: 'info',
    log: 'refused: an Expect value other than 100-continue',
    message: () => 'The gateway meets no expectation but 100-continue.',
    action: () => 'Send the request without the Expect header, or with Expect: 100-continue.',
  },
  bad_path: {
    status: 400,
    title: 'Bad request',
    level: 'info',
    log: 'refused: the path has characters or encodings the gateway does not accept',
    message: () => 'The address contains characters or encodings the gateway does not accept.',
    action: () => 'Check the link or the address and try again.',
  },
  not_found: {
    status: 404,
    title: 'Not found',
    level: 'info',
    log: 'no such gateway endpoint under /_auth/',
    message: () => 'No such gateway endpoint.',
  },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed',
    level: 'info',
    log: 'gateway endpoint called with a method it does not accept',
    message: () => 'This gateway endpoint does not accept this method.',
  },
  no_app: {
    status: 404,
    statuses: [403],
    title: 'No application here',
    level: 'info',
    log: 'no app serves this host and path',
    message: () => 'No application is served at this address.',
    action: () => 'Check the address.',
  },
  invalid_request: {
    status: 400,
    json: true,
    title: 'Bad request',
    level: 'info',
    log: 'malformed credentials',
    message: (c) => c.detail ?? 'The request is malformed.',
  },
  unauthorized: {
    status: 401,
    json: true,
    title: 'Sign-in required',
    level: 'info',
    log: 'sign-in required',
    message: (c) => c.detail ?? 'Sign in to continue.',
  },
  invalid_token: {
    status: 401,
    json: true,
    title: 'Sign-in required',
    level: 'info',
    log: 'bearer token refused',
    message: (c) => c.detail ?? 'The access token is invalid.',
  },
  invalid_credentials: {
    status: 401,
    json: true,
    title: 'Sign-in required',
    level: 'info',
    log: 'password sign-in refused: wrong username or password',
    message: () => 'Incorrect username or password.',
  },
  challenge_required: {
    status: 401,
    json: true,
    title: 'Sign-in required',
    level: 'info',
    log: 'password sign-in needs a further challenge',
    message: (c) => `Sign-in needs a further step (${c.detail ?? 'challenge'}); complete it in the browser first.`,
  },
  mfa_code_mismatch: {
    status: 401,
    title: 'Wrong code',
    level: 'info',
    log: 'challenge answer refused: wrong MFA code',
    message: () => 'That code is not right (or has already changed). Enter the current code.',
  },
  new_password_rejected: {
    status: 400,
    title: 'Choose another password',
    level: 'info',
    log: "challenge answer refused: the new password does not meet the pool's policy",
    message: (c) =>
      c.detail ?? 'The new password does not meet the password policy. Choose a longer one with upper and lower case letters, digits and symbols.',
  },
  challenge_expired: {
    status: 401,
    title: 'Sign-in expired',
    level: 'info',
    log: 'challenge answer refused: the challenge expired or was already answered',
    message: () => 'This sign-in step expired or was already completed.',
    action: () => 'Sign in again with your username and password.',
  },
  challenge_invalid: {
    status: 400,
    title: 'Sign-in step not valid',
    level: 'warn',
    log: 'challenge answer refused: unreadable, altered or foreign challenge state',
    message: () => 'This sign-in step is not valid here.',
    action: () => 'Sign in again with your username and password.',
  },
  rate_limited: {
    status: 429,
    json: true,
    title: 'Too many attempts',
    level: 'warn',
    log: 'password sign-in rate limit reached',
    message: () => 'Too many failed sign-ins. Try again later.',
  },
  access_denied: {
    status: 403,
    title: 'Access denied',
    level: 'info',
    log: 'access denied by policy',
    message: (c) => (c.detail ? c.detail : `Your account does not have access to ${appName(c)}.`),
    action: (c) =>
      `If you need access, ${c.contact ? `ask ${c.contact}` : `ask the administrator of ${appName(c)}`}. If you signed in with the wrong account, sign out and sign in again.`,
  },
  insufficient_scope: {
    status: 403,
    title: 'Access denied',
    level: 'info',
    log: 'bearer token lacks a required scope',
    message: (c) => `The access token lacks a required scope (${c.detail ?? 'see WWW-Authenticate'}).`,
  },
  csrf_rejected: {
    status: 403,
    json: true,
    title: 'Access denied',
    level: 'warn',
    log: 'password sign-in refused: cross-site request or missing CSRF token',
    message: () => 'This sign-in did not come from this site. Reload the sign-in page and try again.',
  },
  cross_origin_upgrade: {
    status: 403,
    title: 'Access denied',
    level: 'warn',
    log: 'upgrade with a session cookie refused: opened by a page of another origin',
    message: () => 'This connection was opened by a page of another site, which may not use your session.',
    action: () => 'Open the application itself and try again.',
  },
  password_sign_in_disabled: {
    status: 403,
    json: true,
    title: 'Access denied',
    level: 'info',
    log: 'password sign-in asked for an app without cognito.passwordAuth',
    message: () => 'Password sign-in is not enabled for this address.',
  },
  untrusted_proxy: {
    status: 403,
    json: true,
    title: 'Access denied',
    level: 'warn',
    log: 'forward-auth request from a peer outside trustedProxies',
    message: () => 'Forward-auth requests are accepted only from proxies listed in trustedProxies.',
  },
  missing_original_request: {
    status: 400,
    json: true,
    title: 'Bad request',
    level: 'warn',
    log: 'forward-auth request without the original-request headers',
    message: () => 'Send X-Original-URL (nginx) or X-Forwarded-Host and X-Forwarded-Uri (Traefik, Caddy), as forwardAuth.proxy says.',
  },
  conflicting_original_request: {
    status: 400,
    json: true,
    title: 'Bad request',
    level: 'warn',
    log: 'forward-auth request names two different original requests (a client added the other proxy family)',
    message: () => 'The request names two different original requests.',
  },
  forward_auth_disabled: {
    status: 404,
    json: true,
    title: 'Not found',
    level: 'warn',
    log: 'forward-auth request, but forwardAuth.proxy is not configured',
    message: () => 'Forward auth is not enabled on this gateway (forwardAuth.proxy).',
  },
  idp_error: {
    status: 400,
    title: 'Sign-in did not complete',
    level: 'warn',
    log: 'sign-in failed: the identity provider returned an error',
    message: (c) => `The sign-in service reported an error (${c.detail && OAUTH_ERROR_CODE.test(c.detail) ? c.detail : 'unknown_error'}).`,
    action: startAgain,
    retryLabel: 'Start again',
  },
  invalid_callback: {
    status: 400,
    title: 'Sign-in did not complete',
    level: 'warn',
    log: 'sign-in failed: callback without code or state',
    message: () => 'The sign-in response is missing its code or state.',
    action: startAgain,
    retryLabel: 'Start again',
  },
  login_expired: {
    status: 400,
    title: 'Sign-in expired',
    level: 'warn',
    log: 'sign-in failed: no login state for this state (expired, or another browser)',
    message: () => 'This sign-in was not started in this browser or took too long.',
    action: startAgain,
    retryLabel: 'Start again',
  },
  code_rejected: {
    status: 400,
    title: 'Sign-in code rejected',
    level: 'warn',
    log: 'sign-in failed: the identity provider refused the code',
    message: () => 'The sign-in code was already used or has expired (for example after going back or reloading).',
    action: startAgain,
    retryLabel: 'Start again',
  },
  invalid_token_response: {
    status: 400,
    title: 'Sign-in failed',
    level: 'warn',
    log: 'sign-in failed: unusable token response',
    message: () => 'The identity provider sent a response the gateway cannot accept.',
    action: startAgain,
    retryLabel: 'Start again',
  },
  id_token_invalid: {
    status: 400,
    title: 'Sign-in failed',
    level: 'warn',
    log: 'sign-in failed: the ID token did not verify',
    message: () => 'The identity token could not be verified.',
    action: startAgain,
    retryLabel: 'Start again',
  },
  user_disabled: {
    status: 403,
    title: 'Account not available',
    level: 'info',
    log: 'sign-in refused: the user is disabled or deleted in Cognito',
    message: () => 'This account is disabled.',
    action: () => 'Ask your administrator.',
  },
  session_too_large: {
    status: 400,
    title: 'Sign-in could not be completed',
    level: 'error',
    log: 'sign-in refused: the session does not fit in cookies (too many groups or claims)',
    message: () => 'Your account carries more groups or attributes than a browser session can hold.',
    action: () => 'Ask your administrator.',
  },
  idp_rejected_client: {
    status: 502,
    title: 'Sign-in is misconfigured',
    level: 'error',
    log: "the identity provider refused the gateway's client credentials: check idp.clientId and GATEWAY_CLIENT_SECRET",
    message: () => 'The identity provider refused this gateway. The administrator has been told (see the gateway log).',
  },
  upstream_unreachable: {
    status: 502,
    title: 'Application unavailable',
    level: 'warn',
    log: 'upstream unreachable',
    message: (c) => `${capitalise(appName(c))} could not be reached.`,
    action: (c) => `Try again in a moment. ${report(c)}`,
  },
  idp_unavailable: {
    status: 503,
    statuses: [504],
    title: 'Sign-in service unavailable',
    level: 'warn',
    log: 'identity provider or user directory unavailable',
    message: () => 'The sign-in service could not be reached, so your sign-in could not be checked.',
    action: (c) => `Try again in a moment. ${report(c)}`,
  },
  jwks_unavailable: {
    status: 503,
    title: 'Sign-in service unavailable',
    level: 'warn',
    log: 'token signing keys (JWKS) could not be fetched',
    message: () => 'The keys to check the sign-in could not be fetched.',
    action: (c) => `Try again in a moment. ${report(c)}`,
  },
  upstream_timeout: {
    status: 504,
    title: 'Application did not respond in time',
    level: 'warn',
    log: 'upstream did not answer in time',
    message: (c) => `${capitalise(appName(c))} took too long to answer.`,
    action: (c) => `Try again in a moment. ${report(c)}`,
  },
  store_unavailable: {
    status: 503,
    title: 'Sign-in service unavailable',
    level: 'warn',
    log: 'shared store unavailable; refusing rather than accepting what may be revoked',
    message: () => 'The gateway could not check your sign-in against its shared store.',
    action: (c) => `Try again in a moment. ${report(c)}`,
  },
  sign_in_rate_limited: {
    status: 429,
    title: 'Too many sign-ins',
    level: 'warn',
    log: 'sign-in start rate limit reached',
    message: () => 'Too many sign-ins were started from your address.',
    action: () => 'Wait a minute, then try again.',
  },
  not_ready: {
    status: 503,
    json: true,
    title: 'Not ready',
    level: 'info',
    log: 'readiness check failed',
    message: (c) => `The gateway is not ready: ${c.detail ?? 'starting'}.`,
  },
  internal_error: {
    status: 500,
    title: 'Something went wrong',
    level: 'error',
    log: 'unhandled error',
    message: () => 'The gateway hit an unexpected error.',
    action: () => 'Try again; if it persists, quote the request id.',
  },
  gateway_misconfigured: {
    status: 500,
    title: 'Gateway not configured',
    level: 'error',
    log: 'the gateway has no valid configuration',
    message: () => 'The gateway could not load its configuration. The operator can find the reason in the logs under this request id.',
  },
};

/** The page or JSON options for one catalogue entry. */
export function gatewayError(code: ErrorCode, ctx: ErrorContext): ErrorPageOptions {
  const entry = ERROR_CATALOGUE[code];
  const status = ctx.status !== undefined && entry.statuses?.includes(ctx.status) ? ctx.status : entry.status;
  return {
    status,
    code,
    title: entry.title,
    message: entry.message(ctx),
    action: entry.action?.(ctx),
    requestId: ctx.requestId,
    app: ctx.app,
    contact: ctx.contact,
    user: ctx.user,
    wwwAuthenticate: ctx.wwwAuthenticate,
    retryHref: ctx.retryHref,
    retryLabel: ctx.retryLabel ?? entry.retryLabel,
    headers: ctx.headers,
    json: ctx.format === 'negotiate' ? false : entry.json,
  };
}

/** The response for one catalogue entry (HTML or JSON by the request's Accept). */
export function errorResponse(req: Request, code: ErrorCode, ctx: ErrorContext): Response {
  return renderError(req, gatewayError(code, ctx));
}
