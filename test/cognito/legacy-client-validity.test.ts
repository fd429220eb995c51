/**
 * DescribeUserPoolClient for app clients created before token-validity settings existed
 * (and clients created without them through the API) omits AccessTokenValidity / IdTokenValidity /
 * TokenValidityUnits. Cognito's default is then 60 MINUTES (1 h). The emulator always returns every
 * field, so only the pure function shows it.
 */
import type { OAuthFlowType, UserPoolClientType } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { canonicalOf, clientRequirements, desiredClient, toClientInput, validitySeconds } from '../../src/cognito/app-client';
import { loadConfig } from '../../src/config/load';
import { DEMO_CONFIG } from '../helpers/stack';

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
  it('validitySeconds uses Cognito\'s 1 h default, not 60 hours', () => {
    const v = validitySeconds(legacy);
    expect(v.access).toBe(3600);
    expect(v.id).toBe(3600);
  });

  it('provision does not write an access-token lifetime above Cognito\'s 1 day maximum', () => {
    const config = loadConfig(DEMO_CONFIG, { EMULATOR_URL: 'http://127.0.0.1:9229', DEMO_UPSTREAM_URL: 'http://127.0.0.1:9080' });
    const d = desiredClient(canonicalOf(legacy), clientRequirements(config));
    const input = toClientInput('legacyclient', d);
    const unit = { seconds: 1, minutes: 60, hours: 3600, days: 86400 } as const;
    const seconds = (input.AccessTokenValidity as number) * unit[input.TokenValidityUnits!.AccessToken as keyof typeof unit];
    expect(seconds).toBeLessThanOrEqual(86400);
  });
});
