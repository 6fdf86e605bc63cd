/**
 * The query path's baselines, answering one JSON body from memory and nothing else: a bare node:http server, or
 * (`framework: 'fastify'`) a Fastify route with a pino logger as Reelay's, which shows what the framework alone
 * costs against the bare server.
 */
import { createServer, type Server } from 'node:http';
import Fastify, { LogController } from 'fastify';
import { pino } from 'pino';
import { serveParent } from './child.js';

let server: Server;

function bareServer(bytes: Buffer): Server {
  return createServer((_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': bytes.length,
    });
    response.end(bytes);
  });
}

async function fastifyServer(body: string): Promise<Server> {
  const app = Fastify({
    loggerInstance: pino({ level: 'info' }),
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.get('/v1/video/generations/:task_id', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(body),
  );
  await app.ready();
  return app.server;
}

serveParent({
  async start({ body, framework = 'node' }: { body: string; framework?: 'node' | 'fastify' }) {
    server = framework === 'fastify' ? await fastifyServer(body) : bareServer(Buffer.from(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { url: `http://127.0.0.1:${port}/v1/video/generations/task_baseline` };
  },
  stop: () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
});
