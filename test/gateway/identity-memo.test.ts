/**
 * identityOfVerified: one frozen Identity per verified claims object (the identity headers and the
 * assertion are remembered on it), a new one for new claims (a refresh, a user look-up), and the
 * method and groups claim are part of the key.
 */
import { describe, expect, it } from 'vitest';
import { identityOfVerified } from '../../src/gateway/authenticate';
import { identityFromClaims } from '../../src/identity';

const claims = () => ({
  sub: 'memo-sub',
  'cognito:username': 'mia',
  email: 'mia@example.com',
  email_verified: true,
  'cognito:groups': ['staff'],
  roles: ['ops'],
  token_use: 'id',
  iss: 'https://issuer.example',
});

describe('identityOfVerified', () => {
  it('gives the same frozen Identity for the same claims object, equal to identityFromClaims', () => {
    const c = claims();
    const id = identityOfVerified(c, 'session', 'cognito:groups');
    expect(identityOfVerified(c, 'session', 'cognito:groups')).toBe(id);
    expect(id).toEqual(identityFromClaims(c, 'session', { groupsClaim: 'cognito:groups' }));
    expect(Object.isFrozen(id) && Object.isFrozen(id.groups) && Object.isFrozen(id.scopes) && Object.isFrozen(id.identityProviders)).toBe(true);
  });

  it('builds a new Identity for new claims (after a refresh) and when the method or groups claim differ', () => {
    const c = claims();
    const id = identityOfVerified(c, 'session', 'cognito:groups');
    const refreshed = identityOfVerified({ ...c, 'cognito:groups': ['admins'] }, 'session', 'cognito:groups');
    expect(refreshed.groups).toEqual(['admins']);
    expect(id.groups).toEqual(['staff']);
    const asBearer = identityOfVerified(c, 'bearer', 'cognito:groups');
    expect(asBearer.authMethod).toBe('bearer');
    const byRoles = identityOfVerified(c, 'bearer', 'roles');
    expect(byRoles.groups).toEqual(['ops']);
    expect(identityOfVerified(c, 'session', 'cognito:groups').authMethod).toBe('session');
  });
});
