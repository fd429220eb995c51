import type { Gateway, RequestInfo } from '../context';
import { chooseRealm } from './realm-choice';
import { refuse } from '../refuse';
import { startLogin } from '../sign-in';

/**
 * `/_auth/login?rd=…`: sign in, then return to `rd` (a same-origin path or an allowed host). The app
 * that serves `rd` chooses its realm (app client) and its login settings (identity_provider hint,
 * scopes). `realm=<name>` names the realm, `prefix=<segment>` a storefront (`rd` defaults to
 * `/<segment>/`); see chooseRealm.
 */
/** A provider name as Cognito allows them (COGNITO, Google, a SAML/OIDC provider's name). */
const IDP_NAME = /^[A-Za-z0-9_.-]{1,40}$/;

export async function handleLogin(gw: Gateway, req: Request, info: RequestInfo): Promise<Response> {
  const params = new URL(req.url).searchParams;
  const choice = chooseRealm(gw, info, params, { targetMustMatch: true });
  if (!choice.ok) return refuse(req, info, 'invalid_request', { detail: choice.detail }, { realm: choice.realm });
  return startLogin(gw, info, {
    returnTo: choice.returnTo,
    app: choice.app,
    realm: choice.realm,
    prompt: params.get('prompt') === 'login' ? 'login' : undefined,
    // A sign-in link may name the provider (`identity_provider=PartnerIdP`); Cognito checks it against
    // the app client's providers, so only its shape is checked here.
    identityProvider: IDP_NAME.test(params.get('identity_provider') ?? '') ? params.get('identity_provider')! : undefined,
  });
}
