/**
 * App clients created before token-validity settings existed (or through the API without them):
 * DescribeUserPoolClient omits AccessTokenValidity / IdTokenValidity / TokenValidityUnits, and
 * Cognito's default is then 60 minutes. validitySeconds (doctor's reading) takes that as 1 h (not
 * 60 h). The emulator always returns every field, so only the pure function shows it.
 */ import type { OAuthFlowType, UserPoolClientType } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { validitySeconds } from '../../src/cognito/app-client';

const legacy: UserPoolClientType = {
  ClientId: 'legacyclient',
  ClientName: 'legacy',
  UserPoolId: 'us-east-1_DemoPool1',
  RefreshTokenValidity: 30,
  AllowedOAuthFlows: ['code' as OAuthFlowType],
  AllowedOAuthFlowsUserPoolClient: true,
  AllowedOAuthScopes: ['openid', 'email', 'profile'],
  SupportedIdentityProviders: ['COGNITO'],
  CallbackURLs: [],
  LogoutURLs: [],
  EnableTokenRevocation: true,
};

describe('app client without explicit access/ID token validity', () => {
  it("validitySeconds uses Cognito's 1 h default, not 60 hours", () => {
    const v = validitySeconds(legacy);
    expect(v.access).toBe(3600);
    expect(v.id).toBe(3600);
  });
});
