import { Writable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyRequestLogger } from './request-logger.js';
import { requestLogView } from '../security/log-redaction.js';
import { installErrorHandling } from './errors.js';

/** An app logging as the gateway does (redaction, the `req` serializer, reqId), into the returned lines. */
function appLoggingInto(level: string) {
  const lines: Record<string, unknown>[] = [];
  const root = pino(
    { level, redact: ['req.headers.authorization', 'headers.authorization'] },
    new Writable({
      write: (chunk, _encoding, done) => {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  const app = Fastify({
    loggerInstance: root.child({}, { serializers: { req: requestLogView } }) as FastifyBaseLogger,
    childLoggerFactory: lazyRequestLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  installErrorHandling(app);
  app.get('/fails', async () => {
    throw new Error('database gone');
  });
  app.get('/logs', async (request) => {
    request.log.info({ req: request.raw }, 'looked at');
    request.log.debug('below the level');
    request.log.child({ part: 'inner' }).warn('from a child');
    return { level: request.log.level };
  });
  return { app, lines };
}

describe('a request logger built on first use', () => {
  it('logs an unhandled error with the request id', async () => {
    const { app, lines } = appLoggingInto('info');
    const response = await app.inject({ url: '/fails' });
    expect(response.statusCode).toBe(500);
    const logged = lines.find((line) => line.level === 50);
    expect(logged).toMatchObject({ reqId: expect.any(String), err: { message: 'database gone' } });
  });

  it('keeps the redaction, the serializers, the level and the bindings of children', async () => {
    const { app, lines } = appLoggingInto('info');
    const response = await app.inject({
      url: '/logs?expires=1&signature=SIGNATURE-SECRET',
      headers: { authorization: 'Bearer sk-SECRET' },
    });
    expect(response.json()).toEqual({ level: 'info' });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('SIGNATURE-SECRET');
    expect(text).not.toContain('sk-SECRET');
    expect(text).not.toContain('below the level');
    const info = lines.find((line) => line.msg === 'looked at');
    expect(info).toMatchObject({
      reqId: expect.any(String),
      req: { url: '/logs?expires=1&signature=[redacted]' },
    });
    const warned = lines.find((line) => line.msg === 'from a child');
    expect(warned).toMatchObject({ reqId: info!.reqId, part: 'inner' });
  });

  it('does not log below the level the child would have', async () => {
    const { app, lines } = appLoggingInto('debug');
    await app.inject({ url: '/logs' });
    expect(lines.map((line) => line.msg)).toContain('below the level');
  });

  it('builds no child for a call below the level', () => {
    const parent = pino({ level: 'warn' }, new Writable({ write: (_chunk, _encoding, done) => done() }));
    let children = 0;
    const child = parent.child.bind(parent);
    parent.child = ((...args: Parameters<typeof child>) => {
      children++;
      return child(...args);
    }) as typeof parent.child;
    const log = lazyRequestLogger.call(
      undefined as never,
      parent as FastifyBaseLogger,
      { reqId: 'req-1' },
      {},
      undefined as never,
    );
    log.info('a callback said "still running"');
    log.debug('detail');
    expect(children).toBe(0);
    log.warn('worth a line');
    expect(children).toBe(1);
  });
});
