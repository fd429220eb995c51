/**
 * The second step of a password sign-in: Cognito asked for a new password (NEW_PASSWORD_REQUIRED)
 * or an MFA code (SOFTWARE_TOKEN_MFA, SMS_MFA), and `POST /_auth/password/challenge` answers it with
 * AdminRespondToAuthChallenge (RespondToAuthChallenge in the user flow).
 *
 * Between the two steps the challenge travels as a sealed state (iron, the session secrets): Cognito's
 * `Session`, the username, the app client and app, the return target, a single-use id, and — when the
 * browser holds the form's CSRF cookie — a hash of that cookie, so the state only works in the
 * browser it was handed to. Nobody can read the Session out of it or change a field.
 *
 * - Forms get a small page (the look of the gateway's error pages) with the right field, the state
 *   and the CSRF token; JSON gets `{ signedIn: false, challenge, step, state, fields, ... }`.
 * - Wrong codes are limited per user (PasswordAuthenticator.respond). A wrong code or a refused new
 *   password leaves the state usable; anything else, and every success, uses it up.
 * - Chained challenges (a new password, then MFA) get a new state per step.
 */
import type { AnswerableChallenge, ChallengeAnswerResult, PendingChallenge } from '../../cognito/password-auth';
import { ANSWERABLE_CHALLENGES } from '../../cognito/password-auth';
import { ERROR_CATALOGUE, type ErrorCode, type ErrorContext, escapeHtml, gatewayError, PAGE_STYLE } from '../../http';
import type { CompiledApp } from '../../policy';
import { constantTimeEqual, cookiePairsOf, firstCookie, randomToken, sha256Base64url } from '../../session';
import { createSealer, type Sealer } from '../../session/seal';
import { StoreUnavailableError, storeKeys } from '../../store';
import type { Gateway, RequestInfo } from '../context';
import type { Realm } from '../realms';
import { refuse } from '../refuse';
import { completeSignIn, csrfCookieName, readBody, sameSite, signInFailed } from './password-form';

export const CHALLENGE_PATH = '/_auth/password/challenge';
const PURPOSE = 'password-challenge';
/** Cognito's own Session lasts 3-15 minutes (the client's AuthSessionValidity): the state never outlives the longest. */
export const CHALLENGE_STATE_TTL_SECONDS = 15 * 60;
const MAX_NEW_PASSWORD = 256;

/** What the sealed state carries (short keys: it travels in a form field). */
interface ChallengeState {
  /** The challenge. */
  n: AnswerableChallenge;
  /** Cognito's Session. */
  s: string;
  /** The username the answer names. */
  u: string;
  /** The app client that started the sign-in (and must answer it). */
  c: string;
  /** The app (id) the sign-in is for. */
  a: string;
  /** Return target. */
  r: string;
  /** Single-use id. */
  j: string;
  /** SMS_MFA: where the code went (masked, as Cognito shows it). */
  d?: string;
  /** The site's sign-in form (a same-origin path): the way back from a refusal page. */
  f?: string;
}

const sealers = new WeakMap<Gateway, Sealer>();
function sealerOf(gw: Gateway): Sealer {
  let sealer = sealers.get(gw);
  if (!sealer) {
    sealer = createSealer(gw.config.session.secrets);
    sealers.set(gw, sealer);
  }
  return sealer;
}

/** The authenticator of the app client that started the challenge (one today; one per realm later). */
function realmFor(gw: Gateway, clientId: string): Realm | undefined {
  for (const realm of gw.realms.byName.values()) if (realm.passwords?.clientId === clientId) return realm;
  return undefined;
}

const bindingOf = async (csrfCookieValue: string | undefined) => (csrfCookieValue ? sha256Base64url(`password-challenge\u0000${csrfCookieValue}`) : undefined);

/** The fields an answer to each challenge posts. */
const FIELDS: Record<AnswerableChallenge, 'code' | 'newPassword'> = {
  NEW_PASSWORD_REQUIRED: 'newPassword',
  SOFTWARE_TOKEN_MFA: 'code',
  SMS_MFA: 'code',
};

interface Step {
  pending: PendingChallenge;
  /** The app client that answered with the challenge. */
  clientId: string;
  app: CompiledApp;
  returnTo: string;
  json: boolean;
  /** The site's own form page (a form post's same-origin Referer), carried for refusal pages. */
  formPage?: string;
}

/** The answer to a sign-in that needs a challenge: a sealed state, then a page or JSON saying what to post. */
export async function challengeStep(gw: Gateway, info: RequestInfo, step: Step): Promise<Response> {
  const csrf = firstCookie(cookiePairsOf(info.cookieHeader), csrfCookieName(gw));
  const destination = step.pending.parameters.CODE_DELIVERY_DESTINATION;
  const data: ChallengeState = {
    n: step.pending.challenge,
    s: step.pending.session,
    u: step.pending.username,
    c: step.clientId,
    a: step.app.id,
    r: step.returnTo,
    j: randomToken(12),
    ...(destination ? { d: destination } : {}),
    ...(step.formPage ? { f: step.formPage } : {}),
  };
  const binding = await bindingOf(csrf);
  const state = await sealerOf(gw).seal(
    { p: PURPOSE, exp: gw.now() + CHALLENGE_STATE_TTL_SECONDS * 1000, d: data, ...(binding ? { s: binding } : {}) },
    CHALLENGE_STATE_TTL_SECONDS,
  );
  info.log.info('password sign-in needs a challenge', { challenge: data.n, app: step.app.id });
  if (!step.json) return challengePage(info, { challenge: data.n, state, csrf: csrf ?? '', destination, status: 200 });
  const body = {
    signedIn: false,
    challenge: data.n,
    step: `${info.origin}${CHALLENGE_PATH}`,
    state,
    fields: [FIELDS[data.n]],
    expiresIn: CHALLENGE_STATE_TTL_SECONDS,
    returnTo: step.returnTo,
    ...(destination ? { destination } : {}),
  };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}

const PAGE_TEXT: Record<AnswerableChallenge, { title: string; text: (destination?: string) => string }> = {
  NEW_PASSWORD_REQUIRED: { title: 'Choose a new password', text: () => 'Your password is temporary. Choose a new one to finish signing in.' },
  SOFTWARE_TOKEN_MFA: { title: 'Enter your authenticator code', text: () => 'Enter the 6-digit code your authenticator app shows for this account.' },
  SMS_MFA: {
    title: 'Enter the code we texted you',
    text: (d) => `Enter the 6-digit code sent by text message${d ? ` to ${d}` : ''}.`,
  },
};

const FORM_STYLE = `form{margin-top:1rem}label,input,button{display:block;width:100%;box-sizing:border-box;margin:.35rem 0}
input{padding:.5rem;border:1px solid #c9ced8;border-radius:6px;font:inherit}
button{margin-top:1rem;padding:.55rem 1rem;background:#2f5bea;color:#fff;border:0;border-radius:6px;font:inherit;cursor:pointer}.error{color:#b00020}`;

/** The challenge step for a browser form: the field to fill, the sealed state and the CSRF token; nothing else. */
function challengePage(
  info: RequestInfo,
  o: { challenge: AnswerableChallenge; state: string; csrf: string; destination?: string; status: number; error?: string },
): Response {
  const text = PAGE_TEXT[o.challenge];
  const field =
    FIELDS[o.challenge] === 'newPassword'
      ? `<label for="newPassword">New password</label>
<input id="newPassword" name="newPassword" type="password" autocomplete="new-password" maxlength="${MAX_NEW_PASSWORD}" required autofocus>`
      : `<label for="code">Code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(text.title)}</title><style>${PAGE_STYLE}
${FORM_STYLE}</style></head>
<body><main>
<h1>${escapeHtml(text.title)}</h1>
<p>${escapeHtml(text.text(o.destination))}</p>
${o.error ? `<p class="error" id="challengeError" role="alert">${escapeHtml(o.error)}</p>` : ''}
<form method="post" action="${CHALLENGE_PATH}" name="challengeForm" data-challenge="${o.challenge}">
<input type="hidden" name="state" value="${escapeHtml(o.state)}">
<input type="hidden" name="csrf" value="${escapeHtml(o.csrf)}">
${field}
<button type="submit">${o.challenge === 'NEW_PASSWORD_REQUIRED' ? 'Set password and sign in' : 'Sign in'}</button>
</form>
<p class="meta">Request id: <code>${escapeHtml(info.requestId)}</code></p>
</main></body></html>
`;
  return new Response(html, {
    status: o.status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-request-id': info.requestId,
      // Not no-referrer: Chromium then posts the form with `Origin: null`, which the same-site check refuses.
      'referrer-policy': 'same-origin',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    },
  });
}

const FAILURE_CODES: Record<Extract<ChallengeAnswerResult, { kind: 'failed' }>['reason'], ErrorCode> = {
  code_mismatch: 'mfa_code_mismatch',
  invalid_password: 'new_password_rejected',
  expired: 'challenge_expired',
  user_disabled: 'user_disabled',
  rejected: 'challenge_required',
  rate_limited: 'rate_limited',
  unavailable: 'idp_unavailable',
  store_unavailable: 'store_unavailable',
};

/** `POST /_auth/password/challenge`: form (`state`, `csrf`, `code` | `newPassword`) or JSON (`{ state, code | newPassword }`). */
export async function handlePasswordChallenge(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  if (!sameSite(gw, req, info)) return refuse(req, info, 'csrf_rejected', {}, { reason: 'cross-site challenge answer' });
  const body = await readBody(req);
  if (!body) return refuse(req, info, 'invalid_request', { detail: 'Send the answer as a form (application/x-www-form-urlencoded) or JSON, at most 8 KB.' });
  const csrf = firstCookie(cookiePairsOf(info.cookieHeader), csrfCookieName(gw));
  if (!body.json && (!csrf || !body.fields.csrf || !constantTimeEqual(csrf, body.fields.csrf))) {
    return refuse(req, info, 'csrf_rejected', {}, { reason: 'challenge form without its CSRF token' });
  }
  if (!body.fields.state) return refuse(req, info, 'invalid_request', { detail: 'Send the state of the sign-in step.' });

  let failure = 'invalid';
  const envelope = await sealerOf(gw).open(body.fields.state, PURPOSE, gw.now(), (reason) => (failure = reason));
  if (!envelope) {
    if (failure === 'expired') return refuse(req, info, 'challenge_expired');
    return refuse(req, info, 'challenge_invalid', {}, { reason: `challenge state ${failure}` });
  }
  const data = envelope.d as ChallengeState;
  // Issued to a browser holding the form's CSRF cookie: only that browser may answer.
  if (envelope.s !== undefined && (!csrf || !constantTimeEqual(envelope.s, (await bindingOf(csrf))!))) {
    return refuse(req, info, 'challenge_invalid', {}, { reason: 'challenge state bound to another browser' });
  }
  if (!(ANSWERABLE_CHALLENGES as readonly string[]).includes(data.n)) return refuse(req, info, 'challenge_invalid', {}, { reason: 'unknown challenge' });
  const app = gw.apps.find((a) => a.id === data.a);
  if (!app || !gw.compiled.passwordApps.has(app.id)) return refuse(req, info, 'password_sign_in_disabled', { app: app?.name }, { app: data.a });
  // The app client that started the sign-in answers its challenge (the realm's, carried in the state).
  const realm = realmFor(gw, data.c);
  const passwords = realm?.passwords;
  if (!realm || !passwords || gw.realms.of(app) !== realm)
    return refuse(req, info, 'challenge_invalid', {}, { reason: 'challenge state of another app client' });
  // A form's refusal is a page (with the way back to the site's form); a script gets JSON.
  const ctx = body.json
    ? { app: app.name, contact: app.contact }
    : { app: app.name, contact: app.contact, format: 'negotiate' as const, ...(data.f ? { retryHref: data.f, retryLabel: 'Back to the sign-in form' } : {}) };

  // The answer, checked before it costs a Cognito call or a counted attempt.
  const field = FIELDS[data.n];
  const code = (body.fields.code ?? '').replace(/\s+/g, '');
  const newPassword = body.fields.newPassword ?? '';
  if (field === 'code' && !/^\d{6}$/.test(code)) {
    return answerError(req, info, data, body.fields.state, csrf, 'invalid_request', { ...ctx, detail: 'Enter the 6-digit code.' }, body.json);
  }
  if (field === 'newPassword' && (!newPassword || newPassword.length > MAX_NEW_PASSWORD)) {
    const detail = `Enter a new password (at most ${MAX_NEW_PASSWORD} characters).`;
    return answerError(req, info, data, body.fields.state, csrf, 'invalid_request', { ...ctx, detail }, body.json);
  }

  // Single use: claimed for the answer; given back when the answer may be retried (wrong code, refused password).
  const claim = await storeKeys.lock('pw-challenge', data.j);
  const ttlMs = Math.max(1000, envelope.exp - gw.now());
  let claimed = false;
  try {
    claimed = await gw.stores.store.setIfAbsent(claim, '1', ttlMs);
    if (!claimed) return refuse(req, info, 'challenge_expired', ctx, { reason: 'challenge state already used' });
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    if (gw.stores.settings.onError.passwordRateLimits !== 'open') return refuse(req, info, 'store_unavailable', ctx);
  }
  const release = () => (claimed ? gw.stores.store.delete(claim).catch(() => {}) : Promise.resolve());

  const result = await passwords.respond({
    challenge: data.n,
    session: data.s,
    username: data.u,
    ...(field === 'code' ? { code } : { newPassword }),
  });
  if (result.kind === 'tokens') return completeSignIn(gw, req, info, result.tokens, { app, realm, returnTo: data.r, json: body.json });
  if (result.kind === 'challenge') {
    return challengeStep(gw, info, { pending: result.pending, clientId: data.c, app, returnTo: data.r, json: body.json, formPage: data.f });
  }
  // Nothing was used up by these: the same state may answer again.
  const retryable = RETRYABLE.has(result.reason);
  if (retryable) await release();
  signInFailed(gw, info, app.id, `challenge_${result.reason}`);
  info.log.info('password challenge answer refused', { reason: result.reason, challenge: data.n, app: app.id });
  const extra = {
    ...ctx,
    ...(result.reason === 'rejected' ? { detail: result.detail ?? data.n } : {}),
    ...(result.reason === 'invalid_password' && result.detail ? { detail: result.detail } : {}),
    ...(result.reason === 'rate_limited' && result.retryAfterSeconds ? { headers: new Headers({ 'retry-after': String(result.retryAfterSeconds) }) } : {}),
  };
  if (result.reason === 'code_mismatch' || result.reason === 'invalid_password') {
    return answerError(req, info, data, body.fields.state, csrf, FAILURE_CODES[result.reason], extra, body.json);
  }
  return refuse(req, info, FAILURE_CODES[result.reason], extra, { challenge: data.n });
}

const RETRYABLE = new Set<string>(['code_mismatch', 'invalid_password', 'rate_limited', 'unavailable', 'store_unavailable']);

/**
 * A refused answer the user may correct: JSON gets the catalogue error (the same state stays
 * usable); a form gets the step's page again with the error on it.
 */
function answerError(
  req: Request,
  info: RequestInfo,
  data: ChallengeState,
  state: string,
  csrf: string | undefined,
  code: ErrorCode,
  ctx: Omit<ErrorContext, 'requestId'>,
  json: boolean,
): Response {
  if (json) return refuse(req, info, code, ctx, { challenge: data.n });
  const entry = ERROR_CATALOGUE[code];
  if (entry.level !== 'info') info.log[entry.level](entry.log, { error: code });
  const message = gatewayError(code, { ...ctx, requestId: info.requestId }).message;
  return challengePage(info, { challenge: data.n, state, csrf: csrf ?? '', destination: data.d, status: entry.status, error: message });
}
