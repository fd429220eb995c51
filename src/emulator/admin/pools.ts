import { randomBytes } from 'node:crypto';
import { PoolKeys } from '../keys';
import type { PoolState } from '../state';
import { invalidParameter } from './errors';
import { requireString } from './input';
import { poolOf, type Operation } from './lookup';
import { userPoolType } from './shapes';

/**
 * CreateUserPool, CreateUserPoolDomain, DescribeUserPoolDomain (for `cognito-gateway provision
 * --create-pool` and `doctor`). Domains are prefix domains; the hosted UI stays the emulator's single
 * hosted-UI base whatever the domain.
 */

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const poolSuffix = () => [...randomBytes(9)].map((b) => ALNUM[b % ALNUM.length]).join('');

/** New pools live in the region of the seeded ones (one emulator = one region). */
export const CreateUserPool: Operation = (ctx, input) => {
  const name = requireString(input, 'PoolName');
  if (name.length > 128) throw invalidParameter('PoolName must be at most 128 characters.');
  const region = ctx.state.pools.values().next().value?.region ?? 'us-east-1';
  const now = ctx.state.now();
  const pool: PoolState = {
    id: `${region}_${poolSuffix()}`,
    name,
    region,
    createdAt: now,
    resourceServers: [],
    groups: new Map(),
    clients: new Map(),
    users: new Map(),
    identityProviders: new Map(),
    keys: PoolKeys.createSync(),
  };
  ctx.state.pools.set(pool.id, pool);
  return { UserPool: userPoolType(pool) };
};

const PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const CreateUserPoolDomain: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const domain = requireString(input, 'Domain');
  if (!PREFIX.test(domain) || /aws|amazon|cognito/.test(domain)) {
    throw invalidParameter(`Invalid domain prefix ${domain}: lowercase letters, digits and hyphens, without aws, amazon or cognito.`);
  }
  const domains = ctx.state.domains;
  if (domains.has(domain)) throw invalidParameter('Domain already associated with another user pool.');
  for (const d of domains.values()) if (d.poolId === pool.id) throw invalidParameter(`User pool ${pool.id} already has a domain configured.`);
  domains.set(domain, { poolId: pool.id, createdAt: ctx.state.now() });
  return { CloudFrontDomain: `${domain}.cloudfront.emulator.invalid`, ManagedLoginVersion: 1 };
};

/** An unknown domain answers an empty DomainDescription, as Cognito does. */
export const DescribeUserPoolDomain: Operation = (ctx, input) => {
  const domain = requireString(input, 'Domain');
  const record = ctx.state.domains.get(domain);
  if (!record) return { DomainDescription: {} };
  return {
    DomainDescription: {
      UserPoolId: record.poolId,
      AWSAccountId: '000000000000',
      Domain: domain,
      S3Bucket: 'aws-cognito-prod-emulator-assets',
      CloudFrontDistribution: `${domain}.cloudfront.emulator.invalid`,
      Version: String(record.createdAt),
      Status: ctx.state.pool(record.poolId) ? 'ACTIVE' : 'DELETING',
      ManagedLoginVersion: 1,
    },
  };
};
