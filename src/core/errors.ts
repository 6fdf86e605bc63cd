/**
 * Every failure Reelay reports to a client, independent of the API surface that renders it.
 * Each carries (status, type, code, param); http/errors.ts renders them in the seed's or OpenAI's shape.
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

export class AuthenticationError extends ApiError {
  constructor(message: string, code: string | null = 'invalid_api_key') {
    super(401, 'authentication_error', message, null, code);
  }
}

export class PermissionError extends ApiError {
  constructor(message: string, param: string | null = null, code: string | null = 'permission_denied') {
    super(403, 'permission_error', message, param, code);
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string, param: string | null = null, code: string | null = 'not_found') {
    super(404, 'not_found_error', message, param, code);
  }
}

export class UpstreamError extends ApiError {
  constructor(message: string, code: string | null = 'upstream_error') {
    super(502, 'upstream_error', message, null, code);
  }
}

export class ServiceUnavailableError extends ApiError {
  constructor(message: string, code: string | null = 'no_available_channel') {
    super(503, 'service_unavailable_error', message, null, code);
  }
}

/** The user's balance or the key's spending limit cannot cover the task. */
export class InsufficientBalanceError extends ApiError {
  constructor(message: string, code: 'insufficient_balance' | 'key_spend_limit_reached') {
    super(403, 'insufficient_balance_error', message, null, code);
  }
}
