import { createHmac } from 'node:crypto';
import type { EmulatorContext } from '../context';
import { answerChallenge, CHALLENGE_NAMES, maskedPhone, nextChallenge, openChallenge, type ChallengeName } from '../challenges';
import { secretsEqual } from '../oauth/client-auth';
import { checkPassword } from '../oauth/password';
import { redeemRefreshToken } from '../oauth/refresh';
import { revokeRefreshToken } from '../oauth/revocation';
import type { AuthSession, ClientRecord, PoolState, UserRecord } from '../state';
import { mintUserTokens, startSession, tokenIssuerOf } from '../tokens';
import { CognitoError, clientNotFound, invalidParameter, notAuthorized, userNotFound } from './errors';
import { optionalObject, optionalString, requireString, type Input } from './input';
import { clientOf, poolOf, type Operation } from './lookup';

/**
 * AdminInitiateAuth / InitiateAuth (password and refresh), AdminRespondToAuthChallenge /
 * RespondToAuthChallenge, GetTokensFromRefreshToken, RevokeToken. The public pair (InitiateAuth,
 * RespondToAuthChallenge) finds the pool from the ClientId and, as Cognito, needs no signature.
 */

/** SECRET_HASH = Base64(HMAC_SHA256(key = client secret, message = username + client id)). */
export function secretHash(clientSecret: string, username: string, clientId: string): string {
  return createHmac('sha256', clientSecret)
    .update(username + clientId)
    .digest('base64');
}

function checkSecretHash(client: ClientRecord, given: string | undefined, usernames: string[]): void {
  const secret = client.settings.secret;
  if (secret === undefined) return;
  if (given === undefined) {
    throw notAuthorized(`Client ${client.settings.id} is configured with secret but SECRET_HASH was not received`);
  }
  if (!usernames.some((u) => secretsEqual(given, secretHash(secret, u, client.settings.id)))) {
    throw notAuthorized(`Unable to verify secret hash for client ${client.settings.id}`);
  }
}

function requireExplicitFlow(client: ClientRecord, flows: string[], message = 'Auth flow not enabled for this client'): void {
  if (!flows.some((f) => client.settings.explicitAuthFlows.includes(f))) throw invalidParameter(message);
}

function authenticationResult(
  ctx: EmulatorContext,
  pool: PoolState,
  client: ClientRecord,
  user: UserRecord,
  session: AuthSession,
  refreshToken: string | undefined,
): Record<string, unknown> {
  const nowSeconds = Math.floor(ctx.state.now() / 1000);
  const tokens = mintUserTokens({ issuer: tokenIssuerOf(ctx.baseUrl, pool), pool, client, user, session, nowSeconds }, true);
  return {
    ChallengeParameters: {},
    AuthenticationResult: {
      AccessToken: tokens.accessToken,
      ExpiresIn: tokens.expiresIn,
      TokenType: 'Bearer',
      ...(refreshToken ? { RefreshToken: refreshToken } : {}),
      IdToken: tokens.idToken,
    },
  };
}

/** Password sign-in; `flow` says which explicit auth flow the client must allow (the admin or the public one). */
function passwordAuth(ctx: EmulatorContext, pool: PoolState, client: ClientRecord, params: Input, flow: 'admin' | 'user'): Record<string, unknown> {
  if (flow === 'admin') requireExplicitFlow(client, ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ADMIN_NO_SRP_AUTH']);
  else requireExplicitFlow(client, ['ALLOW_USER_PASSWORD_AUTH', 'USER_PASSWORD_AUTH'], 'USER_PASSWORD_AUTH flow not enabled for this client');
  const username = typeof params.USERNAME === 'string' ? params.USERNAME : '';
  const password = typeof params.PASSWORD === 'string' ? params.PASSWORD : '';
  if (!username) throw invalidParameter('Missing required parameter USERNAME');
  if (!password) throw invalidParameter('Missing required parameter PASSWORD');
  checkSecretHash(client, typeof params.SECRET_HASH === 'string' ? params.SECRET_HASH : undefined, [username]);
  const check = checkPassword(ctx.state, pool, username, password);
  if (!check.ok) {
    switch (check.reason) {
      case 'no-such-user':
        throw client.settings.preventUserExistenceErrors ? notAuthorized('Incorrect username or password.') : userNotFound();
      case 'wrong-password':
        throw notAuthorized('Incorrect username or password.');
      case 'disabled':
        throw notAuthorized('User is disabled.');
      case 'unconfirmed':
        throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
      case 'reset-required':
        throw new CognitoError('PasswordResetRequiredException', 'Password reset required for the user');
      case 'new-password-required':
        return challengeResult(ctx, pool, client, check.user!, 'NEW_PASSWORD_REQUIRED');
    }
  }
  return tokensOrChallenge(ctx, pool, client, check.user);
}

/** A sign-in whose password (and any earlier challenge) checked out: MFA next, or tokens. */
function tokensOrChallenge(ctx: EmulatorContext, pool: PoolState, client: ClientRecord, user: UserRecord): Record<string, unknown> {
  const challenge = nextChallenge(user);
  return challenge ? challengeResult(ctx, pool, client, user, challenge) : signedIn(ctx, pool, client, user);
}

function signedIn(ctx: EmulatorContext, pool: PoolState, client: ClientRecord, user: UserRecord): Record<string, unknown> {
  const { session, refreshToken } = startSession(ctx.state, pool, client, user, ['aws.cognito.signin.user.admin'], Math.floor(ctx.state.now() / 1000));
  return authenticationResult(ctx, pool, client, user, session, refreshToken);
}

function challengeResult(ctx: EmulatorContext, pool: PoolState, client: ClientRecord, user: UserRecord, challenge: ChallengeName): Record<string, unknown> {
  const parameters: Record<string, string> =
    challenge === 'NEW_PASSWORD_REQUIRED'
      ? { USER_ID_FOR_SRP: user.username, requiredAttributes: '[]', userAttributes: JSON.stringify(user.attributes) }
      : challenge === 'SMS_MFA'
        ? {
            USER_ID_FOR_SRP: user.username,
            CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS',
            CODE_DELIVERY_DESTINATION: maskedPhone(user.attributes.phone_number ?? ''),
          }
        : { USER_ID_FOR_SRP: user.username };
  return { ChallengeName: challenge, Session: openChallenge(ctx.state, pool, client, user, challenge), ChallengeParameters: parameters };
}

/** Answers NEW_PASSWORD_REQUIRED (USERNAME, NEW_PASSWORD), SOFTWARE_TOKEN_MFA (USERNAME, SOFTWARE_TOKEN_MFA_CODE) or SMS_MFA (USERNAME, SMS_MFA_CODE). */
export const AdminRespondToAuthChallenge: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  return respondToChallenge(ctx, pool, clientOf(pool, input), input);
};

/** The public form: the same answers, the pool found from the ClientId. */
export const RespondToAuthChallenge: Operation = (ctx, input) => {
  const { pool, client } = publicClientOf(ctx, input);
  return respondToChallenge(ctx, pool, client, input);
};

/** The public operations name only a ClientId (client ids are unique across pools). */
function publicClientOf(ctx: EmulatorContext, input: Input): { pool: PoolState; client: ClientRecord } {
  const clientId = requireString(input, 'ClientId');
  const client = ctx.state.findClient(clientId);
  const pool = client ? ctx.state.pool(client.poolId) : undefined;
  if (!client || !pool) throw clientNotFound(clientId);
  return { pool, client };
}

function respondToChallenge(ctx: EmulatorContext, pool: PoolState, client: ClientRecord, input: Input): Record<string, unknown> {
  const challenge = requireString(input, 'ChallengeName');
  if (!(CHALLENGE_NAMES as readonly string[]).includes(challenge)) {
    throw invalidParameter(`Challenge not supported: ${challenge}`);
  }
  const sessionToken = optionalString(input, 'Session') ?? '';
  const responses = optionalObject(input, 'ChallengeResponses') ?? {};
  const str = (name: string) => (typeof responses[name] === 'string' ? (responses[name] as string) : undefined);
  const username = str('USERNAME');
  if (!username) throw invalidParameter('Missing required parameter USERNAME');
  const pending = ctx.state.challengeSessions.get(sessionToken);
  const sessionUser = pending ? pool.users.get(pending.username) : undefined;
  if (!sessionUser || (username.toLowerCase() !== sessionUser.username.toLowerCase() && username !== sessionUser.sub)) {
    throw notAuthorized('Invalid session for the user.');
  }
  checkSecretHash(client, str('SECRET_HASH'), [username]);
  const answer = answerChallenge(ctx.state, pool, client, sessionToken, challenge, {
    newPassword: str('NEW_PASSWORD'),
    totpCode: str('SOFTWARE_TOKEN_MFA_CODE'),
    smsCode: str('SMS_MFA_CODE'),
  });
  if (!answer.ok) {
    switch (answer.error) {
      case 'code-mismatch':
        throw new CognitoError('CodeMismatchException', answer.message);
      case 'invalid-password':
        throw new CognitoError('InvalidPasswordException', answer.message);
      case 'missing':
      case 'wrong-challenge':
        throw invalidParameter(answer.message);
      default:
        throw notAuthorized(answer.message);
    }
  }
  return answer.next ? challengeResult(ctx, pool, client, answer.user, answer.next) : signedIn(ctx, pool, client, answer.user);
}

function refreshAuth(
  ctx: EmulatorContext,
  client: ClientRecord,
  token: string,
  rotate: boolean,
  /** AdminInitiateAuth proves the client with SECRET_HASH (over the username or the sub). */
  secretHashCheck?: { given: string | undefined; username: string | undefined },
): Record<string, unknown> {
  const outcome = redeemRefreshToken(ctx.state, client, token, rotate);
  if (!outcome.ok) throw notAuthorized(outcome.reason === 'disabled' ? 'User is disabled.' : 'Invalid Refresh Token');
  if (secretHashCheck) {
    const names = [outcome.user.username, outcome.user.sub, ...(secretHashCheck.username ? [secretHashCheck.username] : [])];
    checkSecretHash(client, secretHashCheck.given, names);
  }
  return authenticationResult(ctx, outcome.pool, client, outcome.user, outcome.session, outcome.rotatedRefreshToken);
}

export const AdminInitiateAuth: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const client = clientOf(pool, input);
  const flow = requireString(input, 'AuthFlow');
  const params = optionalObject(input, 'AuthParameters') ?? {};
  switch (flow) {
    case 'ADMIN_USER_PASSWORD_AUTH':
    case 'ADMIN_NO_SRP_AUTH':
      return passwordAuth(ctx, pool, client, params, 'admin');
    case 'REFRESH_TOKEN_AUTH':
    case 'REFRESH_TOKEN':
      return refreshFlow(ctx, client, params);
    default:
      throw invalidParameter(`Initiate Auth method not supported: ${flow}`);
  }
};

/** The public sign-in: USER_PASSWORD_AUTH (the client must allow ALLOW_USER_PASSWORD_AUTH) and REFRESH_TOKEN_AUTH. */
export const InitiateAuth: Operation = (ctx, input) => {
  const { pool, client } = publicClientOf(ctx, input);
  const flow = requireString(input, 'AuthFlow');
  const params = optionalObject(input, 'AuthParameters') ?? {};
  switch (flow) {
    case 'USER_PASSWORD_AUTH':
      return passwordAuth(ctx, pool, client, params, 'user');
    case 'REFRESH_TOKEN_AUTH':
    case 'REFRESH_TOKEN':
      return refreshFlow(ctx, client, params);
    default:
      throw invalidParameter(`Initiate Auth method not supported: ${flow}`);
  }
};

function refreshFlow(ctx: EmulatorContext, client: ClientRecord, params: Input): Record<string, unknown> {
  requireExplicitFlow(client, ['ALLOW_REFRESH_TOKEN_AUTH']);
  const token = typeof params.REFRESH_TOKEN === 'string' ? params.REFRESH_TOKEN : '';
  if (!token) throw invalidParameter('Missing required parameter REFRESH_TOKEN');
  const hash = typeof params.SECRET_HASH === 'string' ? params.SECRET_HASH : undefined;
  const username = typeof params.USERNAME === 'string' ? params.USERNAME : undefined;
  return refreshAuth(ctx, client, token, false, { given: hash, username });
}

function clientWithSecret(ctx: EmulatorContext, input: Input): ClientRecord {
  const clientId = requireString(input, 'ClientId');
  const client = ctx.state.findClient(clientId);
  if (!client) throw clientNotFound(clientId);
  const given = optionalString(input, 'ClientSecret');
  const expected = client.settings.secret;
  if (expected !== undefined && (given === undefined || !secretsEqual(given, expected))) {
    throw notAuthorized(`Unable to verify secret for client ${clientId}`);
  }
  return client;
}

/** The newer refresh operation; with rotation on it answers with a new refresh token. */
export const GetTokensFromRefreshToken: Operation = (ctx, input) => {
  const client = clientWithSecret(ctx, input);
  const token = requireString(input, 'RefreshToken');
  const result = refreshAuth(ctx, client, token, client.settings.refreshTokenRotation);
  return { AuthenticationResult: result.AuthenticationResult };
};

export const RevokeToken: Operation = (ctx, input) => {
  const client = clientWithSecret(ctx, input);
  const token = requireString(input, 'Token');
  if (!client.settings.enableTokenRevocation) {
    throw new CognitoError('UnsupportedOperationException', 'Token revocation is not enabled for this client.');
  }
  if (token.split('.').length === 3) throw new CognitoError('UnsupportedTokenTypeException', 'Only refresh tokens can be revoked.');
  if (revokeRefreshToken(ctx.state, client.settings.id, token) === 'other-client') {
    throw new CognitoError('UnauthorizedException', 'The refresh token was not issued to this client.');
  }
  return {};
};
