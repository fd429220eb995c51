/**
 * The whole decision for one request: normalise the path, pick the app, evaluate its policies. Used by
 * the proxy and by `explain`, so both answer the same way.
 */
import type { Identity } from '../identity';
import type { CompiledApp } from './compile';
import { evaluate, type Decision } from './evaluate';
import { matchApp } from './match-app';
import { normalizePath } from './path';

export interface RawPolicyRequest {
  method: string;
  host: string;
  /** Path of the request target as received (query allowed; it is cut off for matching). */
  rawPath: string;
  clientAddress?: string;
  country?: string;
}

export type RequestOutcome =
  | { kind: 'bad-path'; status: 400; reason: string }
  | { kind: 'no-app'; path: string }
  | { kind: 'decided'; app: CompiledApp; path: string; decision: Decision };

export function decideRequest(apps: readonly CompiledApp[], request: RawPolicyRequest, identity?: Identity): RequestOutcome {
  const normal = normalizePath(request.rawPath);
  if (!normal.ok) return { kind: 'bad-path', status: 400, reason: normal.reason };
  const app = matchApp(apps, request.host, normal.path);
  if (!app) return { kind: 'no-app', path: normal.path };
  const decision = evaluate(app, { ...request, path: normal.path }, identity);
  return { kind: 'decided', app, path: normal.path, decision };
}
