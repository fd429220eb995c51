import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { EmulatorContext } from '../context';
import { answerChallenge, nextChallenge, openChallenge, type ChallengeName } from '../challenges';
import { challengeForm, errorPage, signInForm } from '../html';
import { randomToken } from '../ids';
import { codeRedirectUrl, errorRedirectUrl, validateAuthorizeRequest, type AuthorizeOutcome, type AuthorizeRequest } from '../oauth/authorize-request';
import { issueAuthorizationCode } from '../oauth/codes';
import { checkPassword, HOSTED_UI_MESSAGES } from '../oauth/password';
import { HOSTED_SESSION_LIFETIME_MS, upsertFederatedUser, type PoolState, type UserRecord } from '../state';

/** Cognito's hosted-UI session cookie (on the pool domain; 1 hour). */
export const SESSION_COOKIE = 'cognito';
/** Cognito's sign-in form carries a CSRF token in a cookie and a hidden `_csrf` field. */
export const CSRF_COOKIE = 'XSRF-TOKEN';
const FEDERATION_FLOW_LIFETIME_MS = 10 * 60_000;

/**
 * The hosted UI: /oauth2/authorize, /login, /oauth2/idpresponse, /logout, /error.
 * Redirects inside the hosted UI are relative, so a browser stays on whichever host it used.
 */
export function hostedUiRoutes(ctx: EmulatorContext): Hono {
  const app = new Hono();
  const { state } = ctx;
  const nowSeconds = () => Math.floor(state.now() / 1000);
  const queryOf = (c: Context) => new URL(c.req.url).searchParams;
  const cookieOptions = (c: Context) => ({
    path: '/',
    httpOnly: true,
    sameSite: 'Lax' as const,
    secure: new URL(c.req.url).protocol === 'https:',
  });

  const answerInvalid = (c: Context, outcome: Exclude<AuthorizeOutcome, { kind: 'ok' }>) => {
    if (outcome.kind === 'error-redirect') return c.redirect(errorRedirectUrl(outcome), 302);
    const q = new URLSearchParams({ error: outcome.error });
    if (outcome.clientId) q.set('client_id', outcome.clientId);
    return c.redirect(`/error?${q}`, 302);
  };

  const sessionUser = (c: Context, pool: PoolState): { user: UserRecord; authTime: number } | undefined => {
    const id = getCookie(c, SESSION_COOKIE);
    const session = id ? state.hostedSessions.get(id) : undefined;
    if (!session || session.poolId !== pool.id || state.now() >= session.expiresAt) return undefined;
    const user = state.userBySub(pool, session.sub);
    return user?.enabled ? { user, authTime: session.authTime } : undefined;
  };

  const startHostedSession = (c: Context, pool: PoolState, user: UserRecord, authTime: number) => {
    const old = getCookie(c, SESSION_COOKIE);
    if (old) state.hostedSessions.delete(old);
    const id = randomToken();
    state.hostedSessions.set(id, { poolId: pool.id, sub: user.sub, authTime, expiresAt: state.now() + HOSTED_SESSION_LIFETIME_MS });
    setCookie(c, SESSION_COOKIE, id, { ...cookieOptions(c), maxAge: HOSTED_SESSION_LIFETIME_MS / 1000 });
  };

  const endHostedSession = (c: Context) => {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) state.hostedSessions.delete(id);
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
  };

  const redirectWithCode = (c: Context, request: AuthorizeRequest, user: UserRecord, authTime: number) =>
    c.redirect(codeRedirectUrl(request.redirectUri, issueAuthorizationCode(state, request, user, authTime), request.state), 302);

  const renderForm = (c: Context, request: AuthorizeRequest, query: URLSearchParams, error?: string) => {
    const csrf = randomToken(24);
    setCookie(c, CSRF_COOKIE, csrf, cookieOptions(c));
    // One button per provider the app client supports, each starting that provider's sign-in.
    const providers = request.client.settings.supportedIdentityProviders
      .filter((p) => p !== 'COGNITO' && request.pool.identityProviders.has(p))
      .map((name) => {
        const q = new URLSearchParams(query);
        q.set('identity_provider', name);
        return { name, href: `/oauth2/authorize?${q}` };
      });
    return c.html(
      signInForm({
        heading: `Sign in to ${request.client.settings.name ?? request.client.settings.id}`,
        action: `/login?${query}`,
        csrf,
        error,
        providers,
      }),
    );
  };

  const renderChallenge = (c: Context, query: URLSearchParams, challenge: ChallengeName, session: string, error?: string) => {
    const csrf = randomToken(24);
    setCookie(c, CSRF_COOKIE, csrf, cookieOptions(c));
    return c.html(challengeForm({ challenge, action: `/login/challenge?${query}`, csrf, session, error }));
  };

  /** Password and challenges done: the hosted-UI session, then back to the app with a code. */
  const finishSignIn = (c: Context, request: AuthorizeRequest, user: UserRecord) => {
    const authTime = nowSeconds();
    startHostedSession(c, request.pool, user, authTime);
    deleteCookie(c, CSRF_COOKIE, cookieOptions(c));
    return redirectWithCode(c, request, user, authTime);
  };

  /** Hands the sign-in to the emulated external provider, as Cognito does for `identity_provider`. */
  const startFederation = (c: Context, request: AuthorizeRequest, query: URLSearchParams) => {
    const flowId = randomToken();
    state.federationFlows.set(flowId, {
      authorizeQuery: query.toString(),
      providerName: request.identityProvider,
      expiresAt: state.now() + FEDERATION_FLOW_LIFETIME_MS,
    });
    const target = new URL(`${ctx.baseUrl}/_idp/${encodeURIComponent(request.identityProvider)}/authorize`);
    target.search = new URLSearchParams({
      client_id: `cognito-${request.pool.id}`,
      redirect_uri: `${new URL(c.req.url).origin}/oauth2/idpresponse`,
      response_type: 'code',
      scope: 'openid email profile',
      state: flowId,
    }).toString();
    return c.redirect(target.toString(), 302);
  };

  app.get('/oauth2/authorize', (c) => {
    const query = queryOf(c);
    const outcome = validateAuthorizeRequest(state, query);
    if (outcome.kind !== 'ok') return answerInvalid(c, outcome);
    const request = outcome.request;
    if (request.identityProvider !== 'COGNITO') return startFederation(c, request, query);
    const prompts = (request.prompt ?? '').split(' ');
    if (!prompts.includes('login')) {
      const signedIn = sessionUser(c, request.pool);
      if (signedIn) return redirectWithCode(c, request, signedIn.user, signedIn.authTime);
      if (prompts.includes('none')) {
        return answerInvalid(c, { kind: 'error-redirect', redirectUri: request.redirectUri, error: 'login_required', state: request.state });
      }
    }
    return c.redirect(`/login?${query}`, 302);
  });

  app.get('/login', (c) => {
    const query = queryOf(c);
    const outcome = validateAuthorizeRequest(state, query);
    if (outcome.kind !== 'ok') return answerInvalid(c, outcome);
    return renderForm(c, outcome.request, query);
  });

  /**
   * What both form posts check first: the authorize request they continue (still valid) and the
   * form's CSRF token. A Response when either fails.
   */
  const postedForm = async (c: Context) => {
    const query = queryOf(c);
    const outcome = validateAuthorizeRequest(state, query);
    if (outcome.kind !== 'ok') return answerInvalid(c, outcome);
    const request = outcome.request;
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
    const csrfCookie = getCookie(c, CSRF_COOKIE);
    if (!csrfCookie || csrfCookie !== field('_csrf')) {
      return renderForm(c, request, query, 'Your sign-in page expired. Please sign in again.');
    }
    return { query, request, field };
  };

  app.post('/login', async (c) => {
    const posted = await postedForm(c);
    if (posted instanceof Response) return posted;
    const { query, request, field } = posted;
    const check = checkPassword(state, request.pool, field('username'), field('password'));
    const user = check.ok ? check.user : check.reason === 'new-password-required' ? check.user : undefined;
    if (!user) return renderForm(c, request, query, HOSTED_UI_MESSAGES[(check as { reason: keyof typeof HOSTED_UI_MESSAGES }).reason]);
    const challenge = nextChallenge(user);
    if (challenge) return renderChallenge(c, query, challenge, openChallenge(state, request.pool, request.client, user, challenge));
    return finishSignIn(c, request, user);
  });

  app.post('/login/challenge', async (c) => {
    const posted = await postedForm(c);
    if (posted instanceof Response) return posted;
    const { query, request, field } = posted;
    const session = field('session');
    const challenge = field('challenge');
    const answer = answerChallenge(state, request.pool, request.client, session, challenge, {
      newPassword: field('new_password') || undefined,
      totpCode: field('code') || undefined,
      smsCode: field('code') || undefined,
    });
    if (!answer.ok) {
      // A wrong code, a refused new password or an empty field may be retried in the same session; anything else starts over.
      if (answer.error === 'code-mismatch' || answer.error === 'missing' || answer.error === 'invalid-password') {
        return renderChallenge(c, query, challenge as ChallengeName, session, answer.message);
      }
      return renderForm(c, request, query, answer.message);
    }
    if (answer.next) {
      return renderChallenge(c, query, answer.next, openChallenge(state, request.pool, request.client, answer.user, answer.next));
    }
    return finishSignIn(c, request, answer.user);
  });

  app.get('/oauth2/idpresponse', (c) => {
    const query = queryOf(c);
    const flowId = query.get('state') ?? '';
    const providerCode = query.get('code') ?? '';
    const flow = state.federationFlows.get(flowId);
    const answer = state.providerCodes.get(providerCode);
    state.providerCodes.delete(providerCode);
    if (!flow || !answer || answer.flowId !== flowId || state.now() >= answer.expiresAt || state.now() >= flow.expiresAt) {
      return c.html(errorPage('An error was encountered with the requested page.', 'Invalid state or code from the identity provider.'), 400);
    }
    state.federationFlows.delete(flowId);
    const outcome = validateAuthorizeRequest(state, new URLSearchParams(flow.authorizeQuery));
    if (outcome.kind !== 'ok') return answerInvalid(c, outcome);
    const request = outcome.request;
    const provider = request.pool.identityProviders.get(flow.providerName);
    if (!provider) return c.html(errorPage('An error was encountered with the requested page.', 'Unknown identity provider.'), 400);
    const user = upsertFederatedUser(request.pool, provider, answer.subject, answer.claims, state.now());
    if (!user.enabled) {
      return answerInvalid(c, {
        kind: 'error-redirect',
        redirectUri: request.redirectUri,
        error: 'invalid_request',
        description: 'User is disabled.',
        state: request.state,
      });
    }
    const authTime = nowSeconds();
    startHostedSession(c, request.pool, user, authTime);
    return redirectWithCode(c, request, user, authTime);
  });

  app.get('/logout', (c) => {
    const query = queryOf(c);
    const clientId = query.get('client_id') ?? '';
    const client = clientId ? state.findClient(clientId) : undefined;
    const mismatch = () => answerInvalid(c, { kind: 'error-page', error: 'redirect_mismatch', clientId: clientId || undefined });
    if (!client) return mismatch();
    const logoutUri = query.get('logout_uri');
    if (logoutUri !== null) {
      if (!client.settings.logoutUrls.includes(logoutUri)) return mismatch();
      endHostedSession(c);
      return c.redirect(logoutUri, 302);
    }
    // The other form: sign out, then show the sign-in page for redirect_uri.
    const redirectUri = query.get('redirect_uri');
    if (redirectUri === null || !client.settings.callbackUrls.includes(redirectUri)) return mismatch();
    endHostedSession(c);
    return c.redirect(`/login?${query}`, 302);
  });

  app.get('/error', (c) => {
    const error = queryOf(c).get('error') ?? 'unknown_error';
    return c.html(errorPage('An error was encountered with the requested page.', error), 400);
  });

  return app;
}
