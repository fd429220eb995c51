/** An admin-API error as Cognito sends it: HTTP 400 (5xx for internal) `{"__type", "message"}`. */
export class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: 400 | 500 = 400,
  ) {
    super(message);
  }
}

export const poolNotFound = (poolId: string) => new CognitoError('ResourceNotFoundException', `User pool ${poolId} does not exist.`);
export const clientNotFound = (clientId: string) => new CognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
export const userNotFound = () => new CognitoError('UserNotFoundException', 'User does not exist.');
export const groupNotFound = () => new CognitoError('ResourceNotFoundException', 'Group not found.');
export const invalidParameter = (message: string) => new CognitoError('InvalidParameterException', message);
export const notAuthorized = (message: string) => new CognitoError('NotAuthorizedException', message);
