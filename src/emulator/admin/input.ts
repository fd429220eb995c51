import { CognitoError, invalidParameter } from './errors';

/** Readers for admin-API request members, failing as AWS's input validation does. */
export type Input = Record<string, unknown>;

const memberName = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

export function requireString(input: Input, name: string): string {
  const v = input[name];
  if (v === undefined || v === null) {
    throw invalidParameter(`1 validation error detected: Value null at '${memberName(name)}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof v !== 'string' || v.length === 0) {
    throw invalidParameter(
      `1 validation error detected: Value at '${memberName(name)}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  return v;
}

export function optionalString(input: Input, name: string): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new CognitoError('SerializationException', `${name} must be a string`);
  return v;
}

export function optionalNumber(input: Input, name: string): number | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new CognitoError('SerializationException', `${name} must be a number`);
  return v;
}

export function optionalBoolean(input: Input, name: string): boolean | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new CognitoError('SerializationException', `${name} must be a boolean`);
  return v;
}

export function optionalStringList(input: Input, name: string): string[] | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new CognitoError('SerializationException', `${name} must be a list of strings`);
  }
  return v as string[];
}

export function optionalObject(input: Input, name: string): Input | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new CognitoError('SerializationException', `${name} must be an object`);
  return v as Input;
}

/** `[{Name, Value}]` attribute lists. */
export function optionalAttributeList(input: Input, name: string): Array<{ Name: string; Value: string }> | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  const ok =
    Array.isArray(v) && v.every((a) => a && typeof a === 'object' && typeof a.Name === 'string' && (a.Value === undefined || typeof a.Value === 'string'));
  if (!ok) throw new CognitoError('SerializationException', `${name} must be a list of {Name, Value}`);
  return (v as Array<{ Name: string; Value?: string }>).map((a) => ({ Name: a.Name, Value: a.Value ?? '' }));
}

/** Opaque pagination tokens: the offset into a stable listing. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64');
}

export function decodePageToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const o = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { o?: unknown }).o;
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through
  }
  throw invalidParameter('Invalid pagination token.');
}

export function pageLimit(input: Input, name: string, max = 60): number {
  const limit = optionalNumber(input, name) ?? max;
  if (!Number.isInteger(limit) || limit < 0 || limit > max) {
    throw invalidParameter(
      `1 validation error detected: Value '${limit}' at '${memberName(name)}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    );
  }
  return limit === 0 ? max : limit;
}

/** Timestamps on the wire: epoch seconds (fractional, as Cognito sends them). */
export const epochSeconds = (ms: number): number => ms / 1000;
