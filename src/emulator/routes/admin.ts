import { Hono, type Context } from 'hono';
import type { EmulatorContext } from '../context';
import { newUuid } from '../ids';
import * as auth from '../admin/auth';
import * as clients from '../admin/clients';
import { CognitoError } from '../admin/errors';
import * as identityProviders from '../admin/identity-providers';
import type { Operation } from '../admin/lookup';
import * as pools from '../admin/pools';
import * as users from '../admin/users';

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  DescribeUserPool: clients.DescribeUserPool,
  DescribeUserPoolClient: clients.DescribeUserPoolClient,
  CreateUserPoolClient: clients.CreateUserPoolClient,
  UpdateUserPoolClient: clients.UpdateUserPoolClient,
  DeleteUserPoolClient: clients.DeleteUserPoolClient,
  ListUserPoolClients: clients.ListUserPoolClients,
  AdminCreateUser: users.AdminCreateUser,
  AdminGetUser: users.AdminGetUser,
  AdminDeleteUser: users.AdminDeleteUser,
  ListUsers: users.ListUsers,
  AdminDisableUser: users.AdminDisableUser,
  AdminEnableUser: users.AdminEnableUser,
  AdminSetUserPassword: users.AdminSetUserPassword,
  AdminUpdateUserAttributes: users.AdminUpdateUserAttributes,
  AdminAddUserToGroup: users.AdminAddUserToGroup,
  AdminRemoveUserFromGroup: users.AdminRemoveUserFromGroup,
  AdminListGroupsForUser: users.AdminListGroupsForUser,
  AdminUserGlobalSignOut: users.AdminUserGlobalSignOut,
  CreateGroup: users.CreateGroup,
  GetGroup: users.GetGroup,
  ListGroups: users.ListGroups,
  ListUsersInGroup: users.ListUsersInGroup,
  AdminInitiateAuth: auth.AdminInitiateAuth,
  AdminRespondToAuthChallenge: auth.AdminRespondToAuthChallenge,
  InitiateAuth: auth.InitiateAuth,
  RespondToAuthChallenge: auth.RespondToAuthChallenge,
  GetTokensFromRefreshToken: auth.GetTokensFromRefreshToken,
  RevokeToken: auth.RevokeToken,
  CreateUserPool: pools.CreateUserPool,
  CreateUserPoolDomain: pools.CreateUserPoolDomain,
  DescribeUserPoolDomain: pools.DescribeUserPoolDomain,
  UpdateUserPool: pools.UpdateUserPool,
  GetUserPoolMfaConfig: pools.GetUserPoolMfaConfig,
  SetUserPoolMfaConfig: pools.SetUserPoolMfaConfig,
  CreateIdentityProvider: identityProviders.CreateIdentityProvider,
  DescribeIdentityProvider: identityProviders.DescribeIdentityProvider,
  UpdateIdentityProvider: identityProviders.UpdateIdentityProvider,
};

/**
 * The admin API: AWS JSON 1.1 at `POST /` (`X-Amz-Target: AWSCognitoIdentityProviderService.<Op>`).
 * Any SigV4 signature is accepted; credentials are not checked. Unsigned requests are accepted too
 * (Cognito needs no signature for the public operations such as InitiateAuth).
 */
export function adminRoutes(ctx: EmulatorContext): Hono {
  const app = new Hono();
  const CONTENT_TYPE = 'application/x-amz-json-1.1';

  const reply = (c: Context, requestId: string, status: 200 | 400 | 500, body: unknown, errorType?: string) =>
    c.body(JSON.stringify(body), status, {
      'Content-Type': CONTENT_TYPE,
      'x-amzn-RequestId': requestId,
      ...(errorType ? { 'x-amzn-ErrorType': `${errorType}:` } : {}),
    });

  const error = (c: Context, requestId: string, e: CognitoError) => reply(c, requestId, e.status, { __type: e.type, message: e.message }, e.type);

  app.post('/', async (c) => {
    const requestId = newUuid();
    const target = c.req.header('x-amz-target') ?? '';
    const operationName = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const operation = Object.hasOwn(OPERATIONS, operationName) ? OPERATIONS[operationName] : undefined;
    if (!operation) return error(c, requestId, new CognitoError('UnknownOperationException', `Unknown operation ${target}`));
    if (ctx.state.adminApiFailing)
      return reply(c, requestId, 500, { __type: 'InternalErrorException', message: 'Internal server error.' }, 'InternalErrorException');
    let input: unknown;
    try {
      const text = await c.req.text();
      input = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return error(c, requestId, new CognitoError('SerializationException', 'Request body is not valid JSON.'));
    }
    if (!input || typeof input !== 'object' || Array.isArray(input)) {
      return error(c, requestId, new CognitoError('SerializationException', 'Request body must be a JSON object.'));
    }
    try {
      return reply(c, requestId, 200, operation(ctx, input as Record<string, unknown>));
    } catch (e) {
      if (e instanceof CognitoError) return error(c, requestId, e);
      return error(c, requestId, new CognitoError('InternalErrorException', 'Internal error.', 500));
    }
  });

  return app;
}
