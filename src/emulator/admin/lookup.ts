import type { EmulatorContext } from '../context';
import type { ClientRecord, PoolState, UserRecord } from '../state';
import { clientNotFound, poolNotFound, userNotFound } from './errors';
import { requireString, type Input } from './input';

/** One admin-API operation: JSON input in, JSON output (or a thrown CognitoError) out. */
export type Operation = (ctx: EmulatorContext, input: Input) => Record<string, unknown>;

export function poolOf(ctx: EmulatorContext, input: Input): PoolState {
  const poolId = requireString(input, 'UserPoolId');
  const pool = ctx.state.pool(poolId);
  if (!pool) throw poolNotFound(poolId);
  return pool;
}

export function userOf(ctx: EmulatorContext, pool: PoolState, input: Input): UserRecord {
  const user = ctx.state.findUser(pool, requireString(input, 'Username'));
  if (!user) throw userNotFound();
  return user;
}

export function clientOf(pool: PoolState, input: Input): ClientRecord {
  const clientId = requireString(input, 'ClientId');
  const client = pool.clients.get(clientId);
  if (!client) throw clientNotFound(clientId);
  return client;
}
