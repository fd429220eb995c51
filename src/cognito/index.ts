/**
 * Cognito admin integration (Web-API only: Node and workerd). The AWS SDK loads lazily on the first
 * admin call. Pieces: the admin client, user look-ups with a retention period, sign-out everywhere,
 * password sign-in for API clients, and the app-client requirements doctor/provision share.
 */
export { createCognitoAdmin, fetchRequestHandler, loadCognitoSdk, regionOfPool } from './client';
export type { AdminInitiateAuthInput, AdminUser, AuthTokens, AwsCredentials, CognitoAdmin, CognitoAdminOptions, InitiateAuthResult } from './client';
export { CognitoAdminError, toCognitoAdminError } from './errors';
export { createUserDirectory } from './user-directory';
export type { LookupSource, SharedCache, UserDirectory, UserDirectoryOptions, UserDirectoryStats, UserLookup, UserState } from './user-directory';
export { signOutEverywhere } from './sign-out';
export type { SignOutEverywhereResult } from './sign-out';
export { addressKey, computeSecretHash, createPasswordAuthenticator, parseBasicAuth } from './password-auth';
export type { PasswordAuthenticator, PasswordAuthFailure, PasswordAuthFlow, PasswordAuthOptions, PasswordAuthResult, RateLimit } from './password-auth';
export { adminOptionsFromSettings, cognitoAdminSettings, credentialsFromEnv, userPoolIdOf } from './config';
export type { CognitoAdminSettings } from './config';
export { checkClient, clientRequirements, validitySeconds } from './app-client';
export type { ClientFinding, ClientRequirements } from './app-client';
