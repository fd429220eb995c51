/**
 * App clients created before token-validity settings existed (or through the API without them):
 * DescribeUserPoolClient omits AccessTokenValidity / IdTokenValidity / TokenValidityUnits, and
 * Cognito's default is then 60 minutes. validitySeconds reads that as 1 h (not 60 h), and provision
 * keeps that 1 h (never a lifetime above Cognito's 1-day maximum). The emulator always returns
 * every field, so only the pure functions show it.
 */ import type { OAuthFlowType, UserPoolClientType } from '@aws-sdk/client-cognito-identity-provider';
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
  it("validitySeconds uses Cognito's 1 h default, not 60 hours", () => {
    const v = validitySeconds(legacy);
    expect(v.access).toBe(3600);
    expect(v.id).toBe(3600);
  });

  it("provision does not write an access-token lifetime above Cognito's 1 day maximum", () => {
    const config = loadConfig(DEMO_CONFIG, { EMULATOR_URL: 'http://127.0.0.1:9229', DEMO_UPSTREAM_URL: 'http://127.0.0.1:9080' });
    const d = desiredClient(canonicalOf(legacy), clientRequirements(config));
    const input = toClientInput('legacyclient', d);
    const unit = { seconds: 1, minutes: 60, hours: 3600, days: 86400 } as const;
    const seconds = (input.AccessTokenValidity as number) * unit[input.TokenValidityUnits!.AccessToken as keyof typeof unit];
    // It keeps the client's effective 1 h (Cognito's maximum is 1 day).
    expect(seconds).toBe(3600);
  });
});
