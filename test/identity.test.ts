import { describe, expect, it } from 'vitest';
import { identityFromClaims } from '../src/identity';

describe('identityFromClaims', () => {
  it('reads a Cognito ID token', () => {
    const id = identityFromClaims(
      {
        sub: 'u-1', iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X', aud: 'client1',
        token_use: 'id', 'cognito:username': 'alice', 'cognito:groups': ['admins', 'staff'],
        email: 'alice@example.com', email_verified: true,
      },
      'session',
    );
    expect(id).toMatchObject({
      sub: 'u-1', username: 'alice', groups: ['admins', 'staff'], email: 'alice@example.com',
      emailVerified: true, clientId: 'client1', identityProviders: ['COGNITO'], machine: false,
    });
  });

  it('reads a federated user and a machine access token', () => {
    const fed = identityFromClaims(
      { sub: 's', token_use: 'id', 'cognito:username': 'partneridp_x', identities: [{ providerName: 'PartnerIdP' }] },
      'session',
    );
    expect(fed.identityProviders).toEqual(['PartnerIdP']);
    const machine = identityFromClaims(
      { sub: 'demo-machine', client_id: 'demo-machine', token_use: 'access', scope: 'demo-api/read demo-api/write' },
      'bearer',
    );
    expect(machine).toMatchObject({ machine: true, username: undefined, scopes: ['demo-api/read', 'demo-api/write'], groups: [] });
  });

  it('treats the userInfo string "true" as verified and anything else as not', () => {
    expect(identityFromClaims({ sub: 'a', email_verified: 'true' }, 'session').emailVerified).toBe(true);
    expect(identityFromClaims({ sub: 'a', email_verified: 'false' }, 'session').emailVerified).toBe(false);
    expect(identityFromClaims({ sub: 'a' }, 'session').emailVerified).toBe(false);
  });
});

describe('identityFromClaims with another groups claim', () => {
  it('reads groups from the configured claim (generic OIDC providers use "groups")', () => {
    const id = identityFromClaims({ sub: 'x', groups: ['ops'], 'cognito:groups': ['ignored'] }, 'session', { groupsClaim: 'groups' });
    expect(id.groups).toEqual(['ops']);
  });
});
