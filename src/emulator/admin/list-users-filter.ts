import type { UserRecord } from '../state';
import { invalidParameter } from './errors';

/**
 * ListUsers `Filter`: `name = "value"` (exact) or `name ^= "value"` (prefix). Only these attributes
 * are searchable in Cognito (not custom ones); `status` is Enabled/Disabled.
 */
export const FILTERABLE = new Set([
  'username',
  'email',
  'phone_number',
  'name',
  'given_name',
  'family_name',
  'preferred_username',
  'cognito:user_status',
  'status',
  'sub',
]);

export interface UserFilter {
  attribute: string;
  op: '=' | '^=';
  value: string;
}

const FILTER = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

export function parseUserFilter(filter: string | undefined): UserFilter | undefined {
  if (filter === undefined || filter.trim() === '') return undefined;
  const m = FILTER.exec(filter);
  if (!m) throw invalidParameter('Error while parsing filter.');
  const attribute = m[1]!;
  if (!FILTERABLE.has(attribute)) throw invalidParameter(`Invalid search attribute: ${attribute}`);
  return { attribute, op: m[2] as UserFilter['op'], value: m[3]!.replace(/\\(.)/g, '$1') };
}

function attributeValue(user: UserRecord, attribute: string): string | undefined {
  switch (attribute) {
    case 'username':
      return user.username;
    case 'sub':
      return user.sub;
    case 'status':
      return user.enabled ? 'Enabled' : 'Disabled';
    case 'cognito:user_status':
      return user.status;
    default:
      return user.attributes[attribute];
  }
}

export function matchesFilter(user: UserRecord, filter: UserFilter | undefined): boolean {
  if (!filter) return true;
  const v = attributeValue(user, filter.attribute);
  if (v === undefined) return false;
  // Usernames are case-insensitive in this pool, so is their search.
  const [have, want] = filter.attribute === 'username' ? [v.toLowerCase(), filter.value.toLowerCase()] : [v, filter.value];
  return filter.op === '=' ? have === want : have.startsWith(want);
}
