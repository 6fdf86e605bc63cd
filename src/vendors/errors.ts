/**
 * The error every layer throws at a client, declared here at the bottom so that adapters can refuse a request
 * (InvalidRequestError, naming the field). The rest of the family is in src/errors.ts.
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'insufficient_balance_error'
  | 'insufficient_quota'
  | 'upstream_error'
  | 'service_unavailable_error'
  | 'server_error';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class InvalidRequestError extends ApiError {
  constructor(message: string, param: string | null = null, code: string | null = 'invalid_request') {
    super(400, 'invalid_request_error', message, param, code);
  }
}

/**
 * Thrown by sign() when the vendor refuses the channel's credentials before the call can be made (Vertex's token
 * endpoint refusing the service account): the engine treats it as the account being unusable (channel_broken).
 */
export class CredentialsRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsRefusedError';
  }
}
