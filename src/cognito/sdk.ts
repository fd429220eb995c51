/**
 * The AWS SDK pieces the admin API layer sends, by name: a bundler then keeps only these commands
 * of the ~120 the package exports (the Worker's size budget). client.ts imports this module lazily.
 */
export {
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
