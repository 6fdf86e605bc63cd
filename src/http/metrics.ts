/**
 * Prometheus metrics over HTTP: every answer counted by route template (never the raw URL), `GET /metrics` behind
 * the admin token, and, when METRICS_PORT is set, a listener of its own that serves /metrics without auth (for a
 * scraper on a private network). docs/metrics.md lists the metrics.
 */
import { createServer, type Server } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from '../observability/metrics.js';
import { apiDoc } from './openapi/route-doc.js';

/** Counts every answer: its route's template (`/v1/video/generations/:task_id`), method, status and time. */
export function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  // A callback hook, not an async one: no promise per request for work that never waits.
  app.addHook('onResponse', (request, reply, done) => {
    // Unrouted requests (404s for any path) share one label, so scanners cannot grow the series.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequest(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/** GET /metrics on the gateway's own port, for the operator: `guard` checks the admin token. */
export function metricsRoute(metrics: Metrics, guard: (request: FastifyRequest) => Promise<unknown>) {
  return async function plugin(app: FastifyInstance) {
    app.get(
      '/metrics',
      {
        ...apiDoc({
          summary: 'Prometheus metrics (also on METRICS_PORT without auth, when set)',
          tag: 'operations',
          security: 'adminToken',
          responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
        }),
        onRequest: async (request) => void (await guard(request)),
      },
      async (_request, reply) => {
        const { contentType, body } = await metrics.render();
        return reply.type(contentType).send(body);
      },
    );
  };
}

/** The METRICS_PORT listener: /metrics only, no auth; resolves once listening. */
export async function serveMetricsPort(metrics: Metrics, port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here\n');
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be read\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
