/**
 * Every failure Reelay reports to a client, independent of the API surface that renders it.
 * Each carries (status, type, code, param); http/errors.ts renders them in each surface's shape.
 */
export { ApiError, InvalidRequestError, type ErrorType } from './vendors/errors.js';
import { ApiError } from './vendors/errors.js';

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

/** Too many requests: the client may try again after `retryAfterSeconds` (sent as Retry-After). */
export class RateLimitError extends ApiError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    code: string,
    param: string | null = null,
  ) {
    super(429, 'rate_limit_error', message, param, code);
  }
}
