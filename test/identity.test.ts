/**
 * identityFromClaims: Cognito ID tokens, federated users and machine access tokens; userInfo's "true"
 * as the only verified email; groups from the configured claim for generic OIDC providers; where the
 * user signed in (identities as a JSON string, the automatic group of a federated user, never COGNITO
 * for them; another pool's look-alike group ignored; no provider claimed for non-Cognito tokens).
 */
import { describe, expect, it } from 'vitest';
import { identityFromClaims } from '../src/identity';

describe('identityFromClaims', () => {
  it('reads a Cognito ID token', () => {
    const id = identityFromClaims(
      {
        sub: 'u-1',
        iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X',
        aud: 'client1',
        token_use: 'id',
        'cognito:username': 'alice',
        'cognito:groups': ['admins', 'staff'],
        email: 'alice@example.com',
        email_verified: true,
      },
      'session',
    );
    expect(id).toMatchObject({
      sub: 'u-1',
      username: 'alice',
      groups: ['admins', 'staff'],
      email: 'alice@example.com',
      emailVerified: true,
      clientId: 'client1',
      identityProviders: ['COGNITO'],
      machine: false,
    });
  });

  it('reads a federated user and a machine access token', () => {
    const fed = identityFromClaims({ sub: 's', token_use: 'id', 'cognito:username': 'partneridp_x', identities: [{ providerName: 'PartnerIdP' }] }, 'session');
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

describe('identityFromClaims: where the user signed in', () => {
  const iss = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_DemoPool1';
  it('reads identities given as a JSON string (AdminGetUser form)', () => {
    const id = identityFromClaims({ sub: 's', iss, token_use: 'id', identities: '[{"providerName":"PartnerIdP","userId":"x"}]' }, 'session');
    expect(id.identityProviders).toEqual(['PartnerIdP']);
  });
  it('tells a federated user from an access token by the automatic group, never as COGNITO', () => {
    const fed = identityFromClaims(
      { sub: 's', iss, token_use: 'access', username: 'partneridp_x', 'cognito:groups': ['us-east-1_DemoPool1_PartnerIdP'] },
      'bearer',
    );
    expect(fed.identityProviders).toEqual(['PartnerIdP']);
    const pool = identityFromClaims({ sub: 's', iss, token_use: 'access', username: 'alice', 'cognito:groups': ['admins'] }, 'bearer');
    expect(pool.identityProviders).toEqual(['COGNITO']);
  });
  it('ignores an automatic-looking group of another pool, and claims no provider for non-Cognito tokens', () => {
    const other = identityFromClaims({ sub: 's', iss, token_use: 'access', username: 'x', 'cognito:groups': ['eu-west-1_Other_PartnerIdP'] }, 'bearer');
    expect(other.identityProviders).toEqual(['COGNITO']);
    expect(identityFromClaims({ sub: 's', iss: 'https://op.example' }, 'session').identityProviders).toEqual([]);
  });
});
