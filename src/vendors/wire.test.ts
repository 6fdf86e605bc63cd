import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Wire, WireError } from './wire.js';

describe('the wire to vendors', () => {
  let server: Server;
  let wire: Wire;
  afterEach(async () => {
    await wire.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function vendor(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('gives up on an answer that keeps trickling in after its time is up', async () => {
    const url = await vendor((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"code":0,');
      // A byte every 20 ms: never idle long enough for the idle timeout, never done.
      const drip = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(drip));
    });
    wire = new Wire({ connectMs: 1_000, firstByteMs: 1_000, totalMs: 300 });
    const error = await wire
      .send({ method: 'GET', url: `${url}/task`, headers: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WireError);
    expect(error).toMatchObject({ message: 'vendor did not answer in time', ambiguous: true });
  });

  it.each(['GET', 'POST'] as const)('gives up on a %s whose answer never starts', async (method) => {
    const url = await vendor(() => {
      // Never answers.
    });
    wire = new Wire({ connectMs: 1_000, firstByteMs: 200, totalMs: 200 });
    const error = await wire
      .send({ method, url: `${url}/task`, headers: {}, ...(method === 'POST' ? { body: '{}' } : {}) })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'vendor did not answer in time', ambiguous: true });
  });

  it('reads an answer that arrives in time', async () => {
    const url = await vendor((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r1' });
      res.end('{"code":0}');
    });
    wire = new Wire({ connectMs: 1_000, firstByteMs: 1_000, totalMs: 300 });
    const answer = await wire.send({ method: 'GET', url: `${url}/task`, headers: {} });
    expect(answer).toMatchObject({ status: 200, json: { code: 0 }, headers: { 'x-request-id': 'r1' } });
  });
  it('sends a POST body and its headers as they are', async () => {
    let received: { method?: string; contentType?: string; body: string } | undefined;
    const url = await vendor((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received = {
          method: req.method,
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        };
        res.end('{}');
      });
    });
    wire = new Wire({ connectMs: 1_000, firstByteMs: 1_000, totalMs: 1_000 });
    const body = JSON.stringify({ prompt: 'a cat on a skateboard, 夕焼け ✓', duration: 5 });
    await wire.send({
      method: 'POST',
      url: `${url}/tasks?v=2`,
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(received).toEqual({ method: 'POST', contentType: 'application/json', body });
  });

  it('joins a repeated header and reads an answer that is not JSON', async () => {
    const url = await vendor((_req, res) => {
      res.setHeader('X-Trace', ['a', 'b']);
      res.writeHead(502);
      res.end('Bad Gateway');
    });
    wire = new Wire({ connectMs: 1_000, firstByteMs: 1_000, totalMs: 1_000 });
    const answer = await wire.send({ method: 'GET', url: `${url}/task`, headers: {} });
    expect(answer).toMatchObject({
      status: 502,
      headers: { 'x-trace': 'a, b' },
      json: undefined,
      text: 'Bad Gateway',
    });
  });

  it('refuses an answer over 5 MB and goes on with the next call', async () => {
    const url = await vendor((req, res) => {
      if (req.url === '/small') return res.end('{"code":0}');
      res.end(Buffer.alloc(5 * 1024 * 1024 + 1, 'x'));
    });
    wire = new Wire({ connectMs: 1_000, firstByteMs: 1_000, totalMs: 5_000 });
    const error = await wire
      .send({ method: 'GET', url: `${url}/huge`, headers: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WireError);
    const answer = await wire.send({ method: 'GET', url: `${url}/small`, headers: {} });
    expect(answer).toMatchObject({ status: 200, json: { code: 0 } });
  });

  it('says a refused connection never reached the vendor', async () => {
    const url = await vendor(() => {});
    await new Promise((resolve) => server.close(resolve)); // nothing listens on that port any more
    wire = new Wire({ connectMs: 1_000, firstByteMs: 1_000, totalMs: 1_000 });
    const error = await wire
      .send({ method: 'GET', url: `${url}/task`, headers: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WireError);
    expect(error).toMatchObject({ message: 'vendor unreachable (ECONNREFUSED)', ambiguous: false });
  });
});
