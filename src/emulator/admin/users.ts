import { newTemporaryPassword, newUuid } from '../ids';
import { CognitoError, groupNotFound, invalidParameter } from './errors';
import {
  decodePageToken,
  epochSeconds,
  encodePageToken,
  optionalAttributeList,
  optionalBoolean,
  optionalNumber,
  optionalString,
  optionalStringList,
  pageLimit,
  requireString,
  type Input,
} from './input';
import { matchesFilter, parseUserFilter } from './list-users-filter';
import { poolOf, userOf, type Operation } from './lookup';
import { attributeList, groupType, isWritableAttribute, userType } from './shapes';
import { checkPasswordPolicy } from '../password-policy';
import type { PoolState } from '../state';

/** User and group administration: Admin*User*, ListUsers, groups. */

function checkedAttributes(input: Input, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of optionalAttributeList(input, name) ?? []) {
    if (!isWritableAttribute(a.Name)) {
      throw invalidParameter(`Attributes did not conform to the schema: ${a.Name}: Attribute does not exist in the schema.\n`);
    }
    out[a.Name] = a.Value;
  }
  return out;
}

function groupOf(pool: PoolState, input: Input) {
  const group = pool.groups.get(requireString(input, 'GroupName'));
  if (!group) throw groupNotFound();
  return group;
}

export const AdminCreateUser: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const username = requireString(input, 'Username');
  if (pool.users.has(username.toLowerCase())) throw new CognitoError('UsernameExistsException', 'User account already exists');
  const attributes = checkedAttributes(input, 'UserAttributes');
  const password = optionalString(input, 'TemporaryPassword') ?? newTemporaryPassword();
  checkPasswordPolicy(password);
  const now = ctx.state.now();
  const user = {
    username,
    sub: newUuid(),
    password,
    enabled: true,
    status: 'FORCE_CHANGE_PASSWORD' as const,
    attributes,
    groups: new Set<string>(),
    createdAt: now,
    modifiedAt: now,
  };
  pool.users.set(username.toLowerCase(), user);
  return { User: userType(user) };
};

export const AdminGetUser: Operation = (ctx, input) => {
  const user = userOf(ctx, poolOf(ctx, input), input);
  return {
    Username: user.username,
    UserAttributes: attributeList(user),
    UserCreateDate: epochSeconds(user.createdAt),
    UserLastModifiedDate: epochSeconds(user.modifiedAt),
    Enabled: user.enabled,
    UserStatus: user.status,
  };
};

export const ListUsers: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const filter = parseUserFilter(optionalString(input, 'Filter'));
  const limit = pageLimit(input, 'Limit');
  const offset = decodePageToken(optionalString(input, 'PaginationToken'));
  const only = optionalStringList(input, 'AttributesToGet');
  const matching = [...pool.users.values()].filter((u) => matchesFilter(u, filter));
  const page = matching.slice(offset, offset + limit);
  const next = offset + limit < matching.length ? { PaginationToken: encodePageToken(offset + limit) } : {};
  return { Users: page.map((u) => userType(u, only)), ...next };
};

export const AdminDeleteUser: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const user = userOf(ctx, pool, input);
  ctx.state.revokeUserSessions(pool.id, user.sub);
  pool.users.delete(user.username.toLowerCase());
  return {};
};

/** Disabling also revokes the user's tokens (refresh fails, userInfo answers 401), as in Cognito. */
export const AdminDisableUser: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const user = userOf(ctx, pool, input);
  user.enabled = false;
  user.modifiedAt = ctx.state.now();
  ctx.state.revokeUserSessions(pool.id, user.sub);
  return {};
};

export const AdminEnableUser: Operation = (ctx, input) => {
  const user = userOf(ctx, poolOf(ctx, input), input);
  user.enabled = true;
  user.modifiedAt = ctx.state.now();
  return {};
};

export const AdminSetUserPassword: Operation = (ctx, input) => {
  const user = userOf(ctx, poolOf(ctx, input), input);
  const password = requireString(input, 'Password');
  checkPasswordPolicy(password);
  user.password = password;
  user.status = optionalBoolean(input, 'Permanent') ? 'CONFIRMED' : 'FORCE_CHANGE_PASSWORD';
  user.modifiedAt = ctx.state.now();
  return {};
};

export const AdminUpdateUserAttributes: Operation = (ctx, input) => {
  const user = userOf(ctx, poolOf(ctx, input), input);
  if (input.UserAttributes === undefined || input.UserAttributes === null) {
    throw invalidParameter("1 validation error detected: Value null at 'userAttributes' failed to satisfy constraint: Member must not be null");
  }
  user.attributes = { ...user.attributes, ...checkedAttributes(input, 'UserAttributes') };
  user.modifiedAt = ctx.state.now();
  return {};
};

export const AdminUserGlobalSignOut: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const user = userOf(ctx, pool, input);
  ctx.state.revokeUserSessions(pool.id, user.sub);
  return {};
};

export const AdminAddUserToGroup: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const user = userOf(ctx, pool, input);
  const group = groupOf(pool, input);
  if (!user.groups.has(group.name) && user.groups.size >= 100) {
    throw new CognitoError('LimitExceededException', 'A user can be a member of at most 100 groups.');
  }
  user.groups.add(group.name);
  return {};
};

export const AdminRemoveUserFromGroup: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const user = userOf(ctx, pool, input);
  user.groups.delete(groupOf(pool, input).name);
  return {};
};

export const AdminListGroupsForUser: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const user = userOf(ctx, pool, input);
  const limit = pageLimit(input, 'Limit');
  const offset = decodePageToken(optionalString(input, 'NextToken'));
  const groups = [...pool.groups.values()].filter((g) => user.groups.has(g.name));
  const next = offset + limit < groups.length ? { NextToken: encodePageToken(offset + limit) } : {};
  return { Groups: groups.slice(offset, offset + limit).map((g) => groupType(pool.id, g)), ...next };
};

export const CreateGroup: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const name = requireString(input, 'GroupName');
  if (pool.groups.has(name)) throw new CognitoError('GroupExistsException', `A group with the name ${name} already exists.`);
  const now = ctx.state.now();
  const group = {
    name,
    description: optionalString(input, 'Description'),
    precedence: optionalNumber(input, 'Precedence'),
    createdAt: now,
    modifiedAt: now,
  };
  pool.groups.set(name, group);
  return { Group: groupType(pool.id, group) };
};

export const GetGroup: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  return { Group: groupType(pool.id, groupOf(pool, input)) };
};

export const ListUsersInGroup: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const group = groupOf(pool, input);
  const limit = pageLimit(input, 'Limit');
  const offset = decodePageToken(optionalString(input, 'NextToken'));
  const members = [...pool.users.values()].filter((u) => u.groups.has(group.name));
  const next = offset + limit < members.length ? { NextToken: encodePageToken(offset + limit) } : {};
  return { Users: members.slice(offset, offset + limit).map((u) => userType(u)), ...next };
};

export const ListGroups: Operation = (ctx, input) => {
  const pool = poolOf(ctx, input);
  const limit = pageLimit(input, 'Limit');
  const offset = decodePageToken(optionalString(input, 'NextToken'));
  const groups = [...pool.groups.values()];
  const next = offset + limit < groups.length ? { NextToken: encodePageToken(offset + limit) } : {};
  return { Groups: groups.slice(offset, offset + limit).map((g) => groupType(pool.id, g)), ...next };
};
