import { safeReturnTo } from '../../oidc/redirect';
import type { Gateway, RequestInfo } from '../context';
import { appServing } from '../decide';
import { startLogin } from '../sign-in';

/**
 * `/_auth/login?rd=…`: sign in, then return to `rd` (a same-origin path or an allowed host). The app
 * that serves `rd` chooses its own login settings (identity_provider hint, extra scopes).
 */
/** A provider name as Cognito allows them (COGNITO, Google, a SAML/OIDC provider's name). */
const IDP_NAME = /^[A-Za-z0-9_.-]{1,40}$/;

export function handleLogin(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  const params = new URL(req.url).searchParams;
  const returnTo = safeReturnTo(params.get('rd'), { requestOrigin: info.origin, allowedHosts: gw.config.redirects.allowedHosts, fallback: '/' });
  const target = new URL(returnTo, info.origin);
  return startLogin(gw, info, {
    returnTo,
    app: appServing(gw.compiled, target.host, target.pathname),
    prompt: params.get('prompt') === 'login' ? 'login' : undefined,
    // A sign-in link may name the provider (`identity_provider=PartnerIdP`); Cognito checks it against
    // the app client's providers, so only its shape is checked here.
    identityProvider: IDP_NAME.test(params.get('identity_provider') ?? '') ? params.get('identity_provider')! : undefined,
  });
}
