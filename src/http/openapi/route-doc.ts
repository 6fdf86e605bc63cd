/**
 * How a route describes itself for the OpenAPI document (GET /openapi.json): beside the handler, with the zod
 * schemas the handler parses with and answers in, so that the document cannot drift from the code.
 *
 *   app.get('/v1/things/:id', apiDoc({ summary: 'A thing', tag: 'things', security: 'apiKey',
 *     params: thingParams, responses: { 200: { description: 'The thing', schema: thingSchema } } }), handler);
 *
 * Errors need not be listed one by one: every route answers the errors of its security scheme and of bad
 * input, in the error shape of its surface (http/errors.ts); `errors` adds the route's own statuses.
 */
import type { RouteShorthandOptions } from 'fastify';
import type { z } from 'zod';

/** The document's tags, in the order the reference page shows them. */
export const apiTags = {
  generations: 'The origin document’s surface: POST /v1/video/generations and GET …/{task_id}.',
  videos: 'OpenAI’s Videos API shapes under /v1/videos: the official OpenAI SDKs work against it.',
  models: 'The models an API key can use, in OpenAI’s list shape.',
  account: 'What an API key’s holder may see of their own account.',
  kling:
    'Kling’s own API (/kling/v1/videos/…) served by Reelay: Kling-shaped clients move by base URL and key.',
  vidu: 'Vidu’s own API (/ent/v2/…) served by Reelay: Vidu-shaped clients move by base URL and key.',
  admin: 'The operator’s API under /admin/v1, authenticated with the admin token.',
  operations: 'Liveness, metrics and this document.',
} as const;

export type ApiTag = keyof typeof apiTags;

/** Who may call a route: an `sk-` API key, the admin token, either an API key or a signed link, or anyone. */
export type ApiSecurity = 'apiKey' | 'adminToken' | 'apiKeyOrSignedLink' | 'none';

export interface ApiResponseDoc {
  description: string;
  /** The JSON body; absent for a body that is not JSON (see contentType). */
  schema?: z.ZodType;
  /** application/json for a schema, unless said otherwise (video/mp4, text/event-stream, …); neither: no body. */
  contentType?: string | readonly string[];
}

export interface ApiRequestBodyDoc {
  schema: z.ZodType;
  /** A body the route also takes without (default: required). */
  optional?: boolean;
  /** application/json unless said otherwise. */
  contentTypes?: readonly string[];
  description?: string;
  /** Named examples of the body, shown on the reference page. */
  examples?: Record<string, { summary: string; value: unknown }>;
}

export interface RouteDoc {
  summary: string;
  description?: string;
  tag: ApiTag;
  security: ApiSecurity;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: ApiRequestBodyDoc;
  /** Success answers by status. */
  responses: Record<number, ApiResponseDoc>;
  /** Error statuses of this route beyond those every route has (see commonErrorStatuses). */
  errors?: readonly number[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's entry in the OpenAPI document (http/openapi/route-doc.ts). */
    openapi?: RouteDoc;
  }
}

/** Route options that put the route in the OpenAPI document. */
export function apiDoc(doc: RouteDoc): RouteShorthandOptions {
  return { config: { openapi: doc } };
}

/** Bad input (400: a field, bad JSON, an invalid path), a path too long (414) and a bug (500): any route. */
const anyRoute = [400, 414, 500];

/** What a failed credential check answers: 401, and 429 once an address has failed too often. */
const authenticated = [401, 429];

/** The error statuses every route of this security scheme can answer. */
export function commonErrorStatuses(security: ApiSecurity): number[] {
  return security === 'none' ? anyRoute : [...anyRoute, ...authenticated];
}

/** A JSON body's request limits, as the routes enforce them (BODY_LIMIT_BYTES, content type). */
export const jsonBodyErrors = [413, 415];
