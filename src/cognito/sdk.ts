/**
 * The AWS SDK pieces the admin API layer sends, by name: a bundler then keeps only these commands
 * of the ~120 the package exports (the Worker's size budget). client.ts imports this module lazily.
 * InitiateAuth and RespondToAuthChallenge are unauthenticated (the SDK's model gives them
 * `smithy.api#noAuth`): they are sent unsigned and need no AWS credentials.
 */
export {
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  InitiateAuthCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
