/** Renders every failure in the shape of the surface it happened on; never a 500 for a client's mistake. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError, InvalidRequestError, NotFoundError, RateLimitError } from '../errors.js';
import { klingErrorBody } from './native/kling/view.js';
import { viduErrorBody } from './native/vidu/view.js';

const errorFields = {
  message: z.string().meta({ description: 'What went wrong, for a person to read.' }),
  type: z
    .string()
    .meta({ description: 'The class of error: invalid_request_error, authentication_error, …' }),
  param: z.string().nullable().meta({ description: 'The request field at fault, when one is.' }),
  code: z
    .string()
    .nullable()
    .meta({ description: 'A stable code to branch on (task_not_found, rpm_exceeded, …).' }),
};

/** The generations surface's error body, as the origin document shows it. */
export const generationsErrorSchema = z.object(errorFields).strict().meta({ id: 'GenerationsError' });

/** OpenAI's error body. */
export const openaiErrorSchema = z
  .object({ error: z.object(errorFields).strict() })
  .strict()
  .meta({ id: 'OpenAIError' });

/** The generations surface's error body: `{code, message, param, type}`. */
export function generationsErrorBody(error: ApiError): z.infer<typeof generationsErrorSchema> {
  return { code: error.code, message: error.message, param: error.param, type: error.type };
}

/** OpenAI's error body: `{error: {message, type, param, code}}`. */
export function openaiErrorBody(error: ApiError): z.infer<typeof openaiErrorSchema> {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

export type ErrorShape = 'generations' | 'openai' | 'kling' | 'vidu';

/** Each surface renders errors its own way, by path; the generations surface's shape where none matches. */
const errorShapes: [RegExp, ErrorShape][] = [
  [/^\/v1\/(?:videos|models)(?:[/?]|$)/, 'openai'],
  [/^\/kling\//, 'kling'],
  [/^\/ent\/v2\//, 'vidu'],
];

const errorBodies: Record<ErrorShape, (error: ApiError) => unknown> = {
  generations: generationsErrorBody,
  openai: openaiErrorBody,
  kling: klingErrorBody,
  vidu: viduErrorBody,
};

/** Which surface's error shape answers under this path. */
export function errorShapeOf(url: string): ErrorShape {
  return errorShapes.find(([path]) => path.test(url))?.[1] ?? 'generations';
}

function errorBodyFor(url: string): (error: ApiError) => unknown {
  return errorBodies[errorShapeOf(url)];
}

/** Fastify's own client errors (bad JSON, wrong content type, body too large) as ApiErrors. */
function fromFastifyError(error: FastifyError): ApiError | null {
  const status = error.statusCode ?? 500;
  if (status < 400 || status >= 500) return null;
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidRequestError(
        `The request body is not valid JSON: ${error.message}`,
        null,
        'invalid_json',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(
        413,
        'invalid_request_error',
        'The request body is too large',
        null,
        'body_too_large',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(
        415,
        'invalid_request_error',
        'Send the request body as application/json',
        null,
        'unsupported_media_type',
      );
    default:
      return new ApiError(status, 'invalid_request_error', error.message, null, 'invalid_request');
  }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) => {
    const render = errorBodyFor(request.url);
    const apiError = error instanceof ApiError ? error : fromFastifyError(error);
    if (apiError) {
      if (apiError.status >= 500) request.log.warn({ code: apiError.code }, apiError.message);
      if (apiError instanceof RateLimitError) reply.header('retry-after', String(apiError.retryAfterSeconds));
      return reply.code(apiError.status).send(render(apiError));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .code(500)
      .send(
        render(
          new ApiError(500, 'server_error', 'Internal error; it has been logged', null, 'internal_error'),
        ),
      );
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new NotFoundError(
      `No route for ${request.method} ${request.url.split('?')[0]}`,
      null,
      'route_not_found',
    );
    return reply.code(404).send(errorBodyFor(request.url)(error));
  });
}

/**
 * Errors the router raises before any route or hook runs (a path that is not valid URL encoding, a path
 * parameter over the length limit): Fastify's `frameworkErrors` option, rendered like every other error.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const apiError = new ApiError(
    tooLong ? 414 : 400,
    'invalid_request_error',
    tooLong ? 'The request path is too long' : 'The request path is not valid',
    null,
    tooLong ? 'path_too_long' : 'invalid_path',
  );
  void reply.code(apiError.status).send(errorBodyFor(request.url)(apiError));
}
