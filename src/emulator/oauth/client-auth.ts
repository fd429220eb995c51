import { timingSafeEqual } from 'node:crypto';
import type { ClientRecord, EmulatorState } from '../state';

/**
 * Client authentication at /oauth2/token and /oauth2/revoke: `Authorization: Basic` or
 * `client_id` (+ `client_secret`) in the body. Public clients send no secret and must not send one.
 */
export type ClientAuthOutcome = { ok: true; client: ClientRecord } | { ok: false; error: 'invalid_client' };

export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** RFC 6749 §2.3.1: Basic credentials are form-encoded before base64; tolerate raw values too. */
function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export function parseBasicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

export function authenticateClient(state: EmulatorState, authorization: string | undefined, form: Map<string, string>): ClientAuthOutcome {
  const fail = { ok: false, error: 'invalid_client' } as const;
  let id: string | undefined;
  let secret: string | undefined;
  if (authorization !== undefined && authorization !== '') {
    const basic = parseBasicCredentials(authorization);
    if (!basic) return fail;
    const bodyId = form.get('client_id');
    if (bodyId !== undefined && bodyId !== basic.id) return fail;
    ({ id, secret } = basic);
  } else {
    id = form.get('client_id');
    secret = form.get('client_secret');
  }
  if (!id) return fail;
  const client = state.findClient(id);
  if (!client) return fail;
  const expected = client.settings.secret;
  if (expected === undefined) return secret ? fail : { ok: true, client };
  if (secret === undefined || !secretsEqual(secret, expected)) return fail;
  return { ok: true, client };
}
