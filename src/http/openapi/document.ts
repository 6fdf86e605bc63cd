/**
 * The OpenAPI 3.1 document, built from the routes as Fastify registered them (their `config.openapi`, see
 * route-doc.ts) and the zod schemas they declare: JSON Schema 2020-12 is OpenAPI 3.1's schema dialect, so zod's
 * own `z.toJSONSchema` writes every schema. A zod schema with `.meta({ id })` becomes a named component.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorShapeOf, type ErrorShape } from '../errors.js';
import { apiTags, commonErrorStatuses, type ApiSecurity, type RouteDoc } from './route-doc.js';

export interface RegisteredRoute {
  method: string;
  /** Fastify's template, prefix included: /v1/videos/:video_id. */
  url: string;
  doc: RouteDoc | undefined;
}

export interface DocumentedRoute extends RegisteredRoute {
  doc: RouteDoc;
}

/** Every route registered on `app` from now on (register this before the routes). */
export function recordRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, doc: route.config?.openapi });
    }
  });
  return routes;
}

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = JsonSchema & { paths: Record<string, Record<string, JsonSchema>> };

/** /v1/videos/:video_id → /v1/videos/{video_id}. */
export const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

/** get /v1/videos/:video_id/content → getV1VideosVideoIdContent. */
function operationId(route: RegisteredRoute): string {
  const words = [route.method.toLowerCase(), ...route.url.split(/[^A-Za-z0-9]+/).filter(Boolean)];
  return words.map((word, i) => (i === 0 ? word : word[0]!.toUpperCase() + word.slice(1))).join('');
}

const errorComponent: Record<ErrorShape, string> = {
  openai: 'OpenAIError',
  generations: 'GenerationsError',
  kling: 'KlingError',
  vidu: 'ViduError',
};

const securityRequirements: Record<ApiSecurity, JsonSchema[]> = {
  apiKey: [{ apiKey: [] }],
  adminToken: [{ adminToken: [] }],
  // `{}`: no credential at all, which a signed content link (its query) allows.
  apiKeyOrSignedLink: [{ apiKey: [] }, {}],
  none: [],
};

const statusText: Record<number, string> = {
  400: 'Bad request: a field, the JSON or the path is not valid (`param` names the field)',
  401: 'Missing, invalid, revoked or expired credential',
  403: 'Not allowed: insufficient balance, the key’s spending limit, or an invalid signed link',
  404: 'Not found (or not yours)',
  409: 'Conflict with the current state',
  413: 'The request body is over BODY_LIMIT_BYTES',
  414: 'The request path is too long',
  415: 'Unsupported content type',
  429: 'Too many requests (the key’s rpm or concurrency, or failed authentications); see Retry-After',
  500: 'Internal error (logged)',
  502: 'The vendor failed',
  503: 'No channel can serve this now',
};

/** Zod's JSON Schemas for a registry's schemas, as component schemas (no `$schema`/`$id` of their own). */
function componentSchemas(registry: z.core.$ZodRegistry<{ id: string }>, io: 'input' | 'output') {
  const { schemas } = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
      return [id, rest];
    }),
  );
}

/** A query or path schema as OpenAPI parameters. */
function parameters(schema: z.ZodObject | undefined, where: 'query' | 'path', names: string[]): JsonSchema[] {
  const json = schema
    ? (z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
        properties?: Record<string, JsonSchema>;
        required?: string[];
      })
    : {};
  const properties = json.properties ?? {};
  const all = where === 'path' ? names : Object.keys(properties);
  return all.map((name) => {
    const { description, ...propertySchema } = properties[name] ?? { type: 'string' };
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: propertySchema,
    };
  });
}

export interface DocumentInfo {
  version: string;
}

export function buildOpenApiDocument(routes: RegisteredRoute[], info: DocumentInfo): OpenApiDocument {
  const documented = routes.filter(
    (route): route is DocumentedRoute => !!route.doc && route.method !== 'HEAD',
  );
  const requests = z.registry<{ id: string }>();
  const responses = z.registry<{ id: string }>();
  // Named schemas (`.meta({ id })`) are answers' parts: components, referenced wherever they are used.
  for (const [id, schema] of z.globalRegistry._idmap) responses.add(schema, { id });
  const named = (registry: typeof requests, schema: z.ZodType, fallbackId: string) => {
    const id = z.globalRegistry.get(schema)?.id ?? registry.get(schema)?.id ?? fallbackId;
    if (!registry.has(schema)) registry.add(schema, { id });
    return { $ref: `#/components/schemas/${id}` };
  };

  const paths: OpenApiDocument['paths'] = {};
  for (const route of documented) {
    const { doc } = route;
    const id = operationId(route);
    const pathNames = [...route.url.matchAll(/:(\w+)/g)].map((match) => match[1]!);
    const errorSchema = { $ref: `#/components/schemas/${errorComponent[errorShapeOf(route.url)]}` };
    const errorStatuses = [...new Set([...commonErrorStatuses(doc.security), ...(doc.errors ?? [])])].sort();

    const operation: JsonSchema = {
      operationId: id,
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      tags: [doc.tag],
      security: securityRequirements[doc.security],
      parameters: [...parameters(doc.params, 'path', pathNames), ...parameters(doc.query, 'query', [])],
      ...(doc.body
        ? {
            requestBody: {
              required: !doc.body.optional,
              ...(doc.body.description ? { description: doc.body.description } : {}),
              content: Object.fromEntries(
                (doc.body.contentTypes ?? ['application/json']).map((type) => [
                  type,
                  {
                    schema: named(requests, doc.body!.schema, `${id}Request`),
                    ...(doc.body!.examples ? { examples: doc.body!.examples } : {}),
                  },
                ]),
              ),
            },
          }
        : {}),
      responses: {
        ...Object.fromEntries(
          Object.entries(doc.responses).map(([status, response]) => [
            status,
            {
              description: response.description,
              ...(response.schema || response.contentType
                ? {
                    content: Object.fromEntries(
                      [response.contentType ?? 'application/json'].flat().map((type) => [
                        type,
                        {
                          schema: response.schema
                            ? named(responses, response.schema, `${id}Response${status}`)
                            : { type: 'string', format: 'binary' },
                        },
                      ]),
                    ),
                  }
                : {}),
            },
          ]),
        ),
        ...Object.fromEntries(
          errorStatuses.map((status) => [
            String(status),
            {
              description: statusText[status] ?? 'Error',
              content: { 'application/json': { schema: errorSchema } },
            },
          ]),
        ),
      },
    };
    (paths[openApiPath(route.url)] ??= {})[route.method.toLowerCase()] = operation;
  }

  return {
    openapi: '3.1.1',
    info: {
      title: 'Reelay',
      version: info.version,
      description:
        'One API for AI video generation in front of many vendors. Two surfaces serve the same tasks: the origin ' +
        'document’s /v1/video/generations and OpenAI’s /v1/videos. See docs/api.md for the prose guide.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: Object.entries(apiTags).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: { ...componentSchemas(requests, 'input'), ...componentSchemas(responses, 'output') },
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'sk-…',
          description: 'An API key made by the operator (admin API or console): Authorization: Bearer sk-…',
        },
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The operator’s token (REELAY_ADMIN_TOKEN, or the one printed on first start).',
        },
      },
    },
  };
}
