import { federatedGroupName, type IdentityProviderRecord, type PoolState } from '../state';
import { CognitoError, invalidParameter } from './errors';
import { epochSeconds, optionalObject, optionalStringList, requireString, type Input } from './input';
import { poolOf, type Operation } from './lookup';

/**
 * CreateIdentityProvider, DescribeIdentityProvider, UpdateIdentityProvider. A created provider is
 * listed by the hosted UI like a seeded one; the emulated external sign-in knows only seeded users.
 */

const PROVIDER_TYPES = new Set(['SAML', 'Facebook', 'Google', 'LoginWithAmazon', 'SignInWithApple', 'OIDC']);
/** ProviderDetails keys Cognito requires per type. */
const REQUIRED_DETAILS: Record<string, string[]> = {
  OIDC: ['client_id', 'authorize_scopes', 'oidc_issuer', 'attributes_request_method'],
  Google: ['client_id', 'client_secret', 'authorize_scopes'],
  Facebook: ['client_id', 'client_secret', 'authorize_scopes'],
  LoginWithAmazon: ['client_id', 'client_secret', 'authorize_scopes'],
  SignInWithApple: ['client_id', 'team_id', 'key_id', 'private_key', 'authorize_scopes'],
  SAML: [],
};
const NAME = /^[^_\s][^\s]{0,30}[^_\s]$|^[^_\s]$/;

function stringMap(input: Input, name: string): Record<string, string> | undefined {
  const v = optionalObject(input, name);
  if (v === undefined) return undefined;
  if (!Object.values(v).every((x) => typeof x === 'string')) throw new CognitoError('SerializationException', `${name} must map strings to strings`);
  return v as Record<string, string>;
}

function checkDetails(type: string, details: Record<string, string>): void {
  if (type === 'SAML' && !details.MetadataURL && !details.MetadataFile) throw invalidParameter('MetadataURL or MetadataFile is required for SAML providers.');
  const missing = (REQUIRED_DETAILS[type] ?? []).filter((k) => !details[k]);
  if (missing.length) throw invalidParameter(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required in ProviderDetails for ${type} providers.`);
  if (type === 'OIDC' && !['GET', 'POST'].includes(details.attributes_request_method ?? '')) {
    throw invalidParameter('attributes_request_method must be GET or POST.');
  }
  if (type === 'OIDC' && !details.authorize_scopes!.split(/\s+/).includes('openid')) throw invalidParameter('authorize_scopes must include openid.');
}

/** Seeded providers have no stored details: they describe as the emulated OIDC provider they are. */
function detailsOf(baseUrl: string, pool: PoolState, p: IdentityProviderRecord): Record<string, string> {
  if (p.details) return p.details;
  return {
    client_id: `cognito-${pool.id}`,
    authorize_scopes: 'openid email profile',
    oidc_issuer: `${baseUrl}/_idp/${encodeURIComponent(p.name)}`,
    attributes_request_method: 'GET',
  };
}

function identityProviderType(baseUrl: string, pool: PoolState, p: IdentityProviderRecord): Record<string, unknown> {
  const at = epochSeconds(p.modifiedAt ?? pool.createdAt);
  return {
    UserPoolId: pool.id,
    ProviderName: p.name,
    ProviderType: p.type,
    ProviderDetails: detailsOf(baseUrl, pool, p),
    AttributeMapping: p.attributeMapping ?? { username: 'sub' },
    IdpIdentifiers: p.idpIdentifiers ?? [],
    LastModifiedDate: at,
    CreationDate: epochSeconds(p.createdAt ?? pool.createdAt),
  };
}

function providerOf(pool: PoolState, input: Input): IdentityProviderRecord {
  const name = requireString(input, 'ProviderName');
  const p = pool.identityProviders.get(name);
  if (!p) throw new CognitoError('ResourceNotFoundException', `Identity provider ${name} does not exist.`);
  return p;
}

function checkIdentifiers(pool: PoolState, name: string, ids: string[] | undefined): void {
  for (const id of ids ?? []) {
    for (const other of pool.identityProviders.values()) {
      if (other.name !== name && other.idpIdentifiers?.includes(id)) throw new CognitoError('DuplicateProviderException', `Identifier ${id} is already used.`);
    }
  }
}

export const CreateIdentityProvider: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const name = requireString(input, 'ProviderName');
  const type = requireString(input, 'ProviderType');
  if (!NAME.test(name)) throw invalidParameter(`Invalid ProviderName ${name}: 1 to 32 characters, no spaces, not starting or ending with _.`);
  if (name === 'COGNITO') throw invalidParameter('COGNITO is a reserved provider name.');
  if (!PROVIDER_TYPES.has(type)) {
    throw invalidParameter(
      `1 validation error detected: Value '${type}' at 'providerType' failed to satisfy constraint: Member must satisfy enum value set: [SAML, Facebook, Google, LoginWithAmazon, SignInWithApple, OIDC]`,
    );
  }
  if (pool.identityProviders.has(name))
    throw new CognitoError('DuplicateProviderException', `A provider with the name ${name} already exists in this user pool.`);
  const details = stringMap(input, 'ProviderDetails');
  if (!details) {
    throw invalidParameter("1 validation error detected: Value null at 'providerDetails' failed to satisfy constraint: Member must not be null");
  }
  checkDetails(type, details);
  const ids = optionalStringList(input, 'IdpIdentifiers');
  checkIdentifiers(pool, name, ids);
  const now = ctx.state.now();
  const mapping = stringMap(input, 'AttributeMapping');
  const record: IdentityProviderRecord = {
    name,
    type,
    users: [],
    details,
    ...(mapping ? { attributeMapping: mapping } : {}),
    ...(ids ? { idpIdentifiers: ids } : {}),
    createdAt: now,
    modifiedAt: now,
  };
  pool.identityProviders.set(name, record);
  const group = federatedGroupName(pool.id, name);
  if (!pool.groups.has(group)) {
    pool.groups.set(group, { name: group, description: `Autogenerated group for users who sign in using ${name}`, createdAt: now, modifiedAt: now });
  }
  return { IdentityProvider: identityProviderType(ctx.baseUrl, pool, record) };
};

export const DescribeIdentityProvider: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  return { IdentityProvider: identityProviderType(ctx.baseUrl, pool, providerOf(pool, input)) };
};

/** Members given replace the stored ones; members left out stay. */
export const UpdateIdentityProvider: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const p = providerOf(pool, input);
  const details = stringMap(input, 'ProviderDetails');
  if (details) checkDetails(p.type, details);
  const ids = optionalStringList(input, 'IdpIdentifiers');
  checkIdentifiers(pool, p.name, ids);
  const mapping = stringMap(input, 'AttributeMapping');
  if (details) p.details = details;
  if (mapping) p.attributeMapping = mapping;
  if (ids) p.idpIdentifiers = ids;
  p.modifiedAt = ctx.state.now();
  return { IdentityProvider: identityProviderType(ctx.baseUrl, pool, p) };
};
