import { ERROR_CATALOGUE, errorResponse, type ErrorCode, type ErrorContext } from '../http';
import type { RequestInfo } from './context';

/** An answer from the catalogue; warn/error entries also get the operator's log line. */
export function refuse(
  req: Request,
  info: Pick<RequestInfo, 'requestId' | 'log'>,
  code: ErrorCode,
  ctx: Omit<ErrorContext, 'requestId'> = {},
  logFields: Record<string, unknown> = {},
): Response {
  const entry = ERROR_CATALOGUE[code];
  if (entry.level !== 'info') info.log[entry.level](entry.log, { error: code, ...logFields });
  return errorResponse(req, code, { ...ctx, requestId: info.requestId });
}
