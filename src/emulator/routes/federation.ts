import { Hono, type Context } from 'hono';
import type { EmulatorContext } from '../context';
import { errorPage, signInForm } from '../html';
import { randomToken, stableUuid } from '../ids';
import { secretsEqual } from '../oauth/client-auth';
import type { IdentityProviderRecord } from '../state';

const PROVIDER_CODE_LIFETIME_MS = 5 * 60_000;

/**
 * An emulated external OpenID provider (e.g. PartnerIdP) with its own sign-in page, on the issuer host
 * rather than the hosted-UI host. It answers the hosted UI at `redirect_uri` (…/oauth2/idpresponse).
 */
export function federationRoutes(ctx: EmulatorContext): Hono {
  const app = new Hono();
  const { state } = ctx;

  const resolve = (c: Context): { provider: IdentityProviderRecord; redirectUri: URL; query: URLSearchParams } | undefined => {
    const query = new URL(c.req.url).searchParams;
    const clientId = query.get('client_id') ?? '';
    const pool = clientId.startsWith('cognito-') ? state.pool(clientId.slice('cognito-'.length)) : undefined;
    const provider = pool?.identityProviders.get(c.req.param('name') ?? '');
    let redirectUri: URL;
    try {
      redirectUri = new URL(query.get('redirect_uri') ?? '');
    } catch {
      return undefined;
    }
    if (!provider || redirectUri.pathname !== '/oauth2/idpresponse' || !/^https?:$/.test(redirectUri.protocol)) return undefined;
    return { provider, redirectUri, query };
  };

  const form = (c: Context, provider: IdentityProviderRecord, query: URLSearchParams, error?: string) =>
    c.html(
      signInForm({
        heading: `${provider.name} sign-in`,
        action: `/_idp/${encodeURIComponent(provider.name)}/authorize?${query}`,
        error,
        note: 'Emulated external identity provider.',
      }),
    );

  const invalid = (c: Context) => c.html(errorPage('Identity provider error', 'invalid_request'), 400);

  app.get('/_idp/:name/authorize', (c) => {
    const r = resolve(c);
    return r ? form(c, r.provider, r.query) : invalid(c);
  });

  app.post('/_idp/:name/authorize', async (c) => {
    const r = resolve(c);
    if (!r) return invalid(c);
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const username = typeof body.username === 'string' ? body.username : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const user = r.provider.users.find((u) => u.username.toLowerCase() === username.toLowerCase());
    if (!user || !secretsEqual(password, user.password)) return form(c, r.provider, r.query, 'Incorrect username or password.');
    const subject = user.sub ?? stableUuid(r.provider.name, user.username);
    const code = randomToken();
    state.providerCodes.set(code, {
      flowId: r.query.get('state') ?? '',
      providerName: r.provider.name,
      subject,
      claims: { ...user.attributes, sub: subject },
      expiresAt: state.now() + PROVIDER_CODE_LIFETIME_MS,
    });
    r.redirectUri.searchParams.set('code', code);
    r.redirectUri.searchParams.set('state', r.query.get('state') ?? '');
    return c.redirect(r.redirectUri.toString(), 302);
  });

  return app;
}
