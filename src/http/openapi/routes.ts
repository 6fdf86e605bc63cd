/**
 * GET /openapi.json (the document, built once from the registered routes) and GET /docs, a reference page
 * rendered by Swagger UI from the swagger-ui-dist package: every asset is served from node_modules, so the page
 * works offline and its CSP allows nothing from elsewhere.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { z } from 'zod';
import { apiDoc } from './route-doc.js';
import type { OpenApiDocument } from './document.js';

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const contentSecurityPolicy = [
  "default-src 'self'",
  "connect-src 'self'",
  // Swagger UI's icons are data: SVGs and it sets inline styles.
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors 'none'",
].join('; ');

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reelay API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/reference.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io for a badge.
const startScript = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
});
`;

const securityHeaders = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const documentSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) })
  .meta({ id: 'OpenAPIDocument', description: 'This document (OpenAPI 3.1).' });

export function apiReference(document: () => OpenApiDocument) {
  return async function plugin(app: FastifyInstance) {
    let built: string | null = null;
    app.get(
      '/openapi.json',
      apiDoc({
        summary: 'This API as an OpenAPI 3.1 document',
        tag: 'operations',
        security: 'none',
        responses: { 200: { description: 'The document', schema: documentSchema } },
      }),
      async (_request, reply) => {
        built ??= JSON.stringify(document());
        return reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(built);
      },
    );

    app.get(
      '/docs',
      apiDoc({
        summary: 'The API reference page (Swagger UI, served offline)',
        tag: 'operations',
        security: 'none',
        responses: { 200: { description: 'An HTML page', contentType: 'text/html' } },
      }),
      async (_request, reply) => reply.headers(securityHeaders).type('text/html; charset=utf-8').send(page),
    );
    app.get('/docs/reference.js', async (_request, reply) =>
      reply.headers(securityHeaders).type('text/javascript; charset=utf-8').send(startScript),
    );
    await app.register(fastifyStatic, {
      root: swaggerUiDir,
      prefix: '/docs/assets/',
      decorateReply: false,
      // Only what the page loads; the package's other files (its own index.html pointing at a petstore) stay out.
      allowedPath: (path) => ['/swagger-ui.css', '/swagger-ui-bundle.js'].includes(path),
      setHeaders: (reply) => reply.headers({ ...securityHeaders, 'cache-control': 'public, max-age=86400' }),
    });
  };
}
