import { randomBytes } from 'node:crypto';
import type { EmulatorState, PoolState } from '../state';
import { createSigningKeySync, PoolKeys, type SigningKey } from '../keys';
import { invalidParameter } from './errors';
import { requireString } from './input';
import { poolOf, type Operation } from './lookup';
import { userPoolType } from './shapes';

/**
 * CreateUserPool, CreateUserPoolDomain, DescribeUserPoolDomain (added for `cognito-gateway provision
 * --create-pool` and `doctor`). Domains are prefix domains; the hosted UI stays the emulator's single
 * hosted-UI base whatever the domain.
 */

interface DomainRecord {
  poolId: string;
  createdAt: number;
}

const domains = new WeakMap<EmulatorState, Map<string, DomainRecord>>();
const domainsOf = (state: EmulatorState) => {
  let m = domains.get(state);
  if (!m) domains.set(state, (m = new Map()));
  return m;
};

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const suffix = () => [...randomBytes(9)].map((b) => ALNUM[b % ALNUM.length]).join('');

/** PoolKeys only offers an async factory; operations are synchronous, so build one from two sync keys. */
function poolKeysSync(): PoolKeys {
  const Ctor = PoolKeys as unknown as new (idKey: SigningKey, accessKey: SigningKey) => PoolKeys;
  return new Ctor(createSigningKeySync(), createSigningKeySync());
}

export const CreateUserPool: Operation = (ctx, input) => {
  const name = requireString(input, 'PoolName');
  if (name.length > 128) throw invalidParameter('PoolName must be at most 128 characters.');
  const region = ctx.state.pools.values().next().value?.region ?? 'us-east-1';
  const now = ctx.state.now();
  const pool: PoolState = {
    id: `${region}_${suffix()}`,
    name,
    region,
    createdAt: now,
    resourceServers: [],
    groups: new Map(),
    clients: new Map(),
    users: new Map(),
    identityProviders: new Map(),
    keys: poolKeysSync(),
  };
  ctx.state.pools.set(pool.id, pool);
  return { UserPool: userPoolType(pool) };
};

const PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const CreateUserPoolDomain: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const domain = requireString(input, 'Domain');
  if (!PREFIX.test(domain) || domain.includes('aws') || domain.includes('amazon') || domain.includes('cognito')) {
    throw invalidParameter(`Invalid domain prefix ${domain}: lowercase letters, digits and hyphens, without aws, amazon or cognito.`);
  }
  const all = domainsOf(ctx.state);
  if (all.has(domain)) throw invalidParameter('Domain already associated with another user pool.');
  for (const d of all.values()) if (d.poolId === pool.id) throw invalidParameter(`User pool ${pool.id} already has a domain configured.`);
  all.set(domain, { poolId: pool.id, createdAt: ctx.state.now() });
  return { ManagedLoginVersion: 1 };
};

export const DescribeUserPoolDomain: Operation = (ctx, input) => {
  const domain = requireString(input, 'Domain');
  const record = domainsOf(ctx.state).get(domain);
  if (!record) return { DomainDescription: {} };
  const pool = ctx.state.pool(record.poolId);
  return {
    DomainDescription: {
      UserPoolId: record.poolId,
      AWSAccountId: '000000000000',
      Domain: domain,
      S3Bucket: 'aws-cognito-prod-emulator-assets',
      CloudFrontDistribution: `${domain}.cloudfront.emulator.invalid`,
      Version: String(record.createdAt),
      Status: 'ACTIVE',
      ManagedLoginVersion: 1,
      ...(pool ? {} : { Status: 'DELETING' }),
    },
  };
};
