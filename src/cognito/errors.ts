/**
 * Errors from the Cognito admin API, as the gateway sees them. Web-API only (Node and workerd).
 *
 * Every failure of a call through `createCognitoAdmin` becomes a `CognitoAdminError` whose `name` is
 * Cognito's error type (`UserNotFoundException`, `NotAuthorizedException`, `AccessDeniedException`,
 * ...) or, for failures that never got an answer, `TimeoutError` / `NetworkError`.
 */

/** Error types worth another attempt: throttling, Cognito's own 5xx, and no answer at all. */
const RETRYABLE = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'InternalErrorException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'NetworkError',
]);

const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded']);

export interface CognitoAdminErrorInit {
  /** Cognito's error type, e.g. `UserNotFoundException`. */
  name: string;
  /** The admin operation, e.g. `AdminGetUser`. */
  operation: string;
  /** Cognito's own message (never contains secrets: Cognito does not echo passwords). */
  detail: string;
  status?: number;
  requestId?: string;
  retryable?: boolean;
  cause?: unknown;
}

export class CognitoAdminError extends Error {
  /** The operation that failed, e.g. `AdminGetUser`. */
  readonly operation: string;
  /** Cognito's message as received, without the operation prefix. */
  readonly detail: string;
  /** HTTP status when Cognito answered. */
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  /** True when trying again later may succeed (throttling, 5xx, timeout, network). */
  readonly retryable: boolean;

  constructor(init: CognitoAdminErrorInit) {
    super(describe(init), init.cause !== undefined ? { cause: init.cause } : undefined);
    this.name = init.name;
    this.operation = init.operation;
    this.detail = init.detail;
    this.status = init.status;
    this.requestId = init.requestId;
    this.retryable = init.retryable ?? isRetryableName(init.name, init.status);
  }

  /** Throttled by Cognito (safe to retry even for non-idempotent calls: nothing was done). */
  get throttled(): boolean {
    return THROTTLING.has(this.name);
  }

  /** Cognito never answered (time limit, connection refused, DNS). */
  get unreachable(): boolean {
    return this.name === 'TimeoutError' || this.name === 'NetworkError';
  }

  /** The caller's IAM identity lacks the permission for this operation. */
  get accessDenied(): boolean {
    return this.name === 'AccessDeniedException' || this.name === 'UnauthorizedOperation' || this.name === 'AccessDenied';
  }

  /** The IAM action this call needs, e.g. `cognito-idp:AdminGetUser`. */
  get iamAction(): string {
    return `cognito-idp:${this.operation}`;
  }
}

export function isRetryableName(name: string, status?: number): boolean {
  return RETRYABLE.has(name) || (status !== undefined && status >= 500);
}

function describe(init: CognitoAdminErrorInit): string {
  const base = `Cognito ${init.operation} failed: ${init.name}${init.detail ? `: ${init.detail}` : ''}`;
  switch (init.name) {
    case 'AccessDeniedException':
      return `${base} (missing IAM permission cognito-idp:${init.operation}; see docs/iam-policy.json)`;
    case 'TimeoutError':
      return `${base} (no answer in time; check the network path to Cognito or raise the time limit)`;
    case 'NetworkError':
      return `${base} (could not reach Cognito; check the endpoint, DNS and egress rules)`;
    case 'ResourceNotFoundException':
      return `${base} (check idp.userPoolId, idp.clientId and the region)`;
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
      return `${base} (the AWS credentials are invalid or expired)`;
    default:
      return base;
  }
}

/** Error-like shape of AWS SDK v3 service exceptions (read structurally: the SDK is loaded lazily). */
interface SdkErrorLike {
  name?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  code?: unknown;
}

/** Turns anything an SDK call threw into a CognitoAdminError. */
export function toCognitoAdminError(operation: string, e: unknown): CognitoAdminError {
  if (e instanceof CognitoAdminError) return e;
  const err = (e && typeof e === 'object' ? e : {}) as SdkErrorLike;
  const status = typeof err.$metadata?.httpStatusCode === 'number' ? err.$metadata.httpStatusCode : undefined;
  const requestId = typeof err.$metadata?.requestId === 'string' ? err.$metadata.requestId : undefined;
  const rawName = typeof err.name === 'string' && err.name ? err.name : 'Error';
  // Some SDK paths keep a `namespace#Type` form; Cognito's wire format may add `:` suffixes.
  let name = rawName.split('#').pop()!.split(':')[0]!;
  let message = typeof err.message === 'string' ? err.message : String(e);
  if (name === 'AbortError' || name === 'TimeoutError') name = 'TimeoutError';
  else if (status === undefined && (name === 'TypeError' || name === 'Error' || typeof err.code === 'string')) {
    // fetch() network failures are TypeErrors ("fetch failed"); Node socket errors carry a code.
    name = 'NetworkError';
    const code = typeof err.code === 'string' ? err.code : undefined;
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    const causeCode = typeof cause?.code === 'string' ? cause.code : undefined;
    message = [message, code ?? causeCode].filter(Boolean).join(' ');
  }
  if (name === 'Error' || name === 'ServiceException' || name === 'CognitoIdentityProviderServiceException') {
    name = status !== undefined && status >= 500 ? 'InternalErrorException' : 'UnknownError';
  }
  const retryable = isRetryableName(name, status) || err.$fault === 'server';
  return new CognitoAdminError({ name, operation, detail: message, status, requestId, retryable, cause: e });
}
