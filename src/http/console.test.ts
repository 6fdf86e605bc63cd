import Fastify from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleApp } from './console.js';

describe('the console served under /console', () => {
  const dist = mkdtempSync(join(tmpdir(), 'reelay-console-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Reelay console</title>');
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  async function serve(dir: string) {
    const app = Fastify();
    await app.register(consoleApp(dir));
    return app;
  }

  it('serves the page uncached and locked to this origin, and hashed assets cached for good', async () => {
    const app = await serve(dist);
    const page = await app.inject('/console/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Reelay console');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    const asset = await app.inject('/console/assets/index-abc123.js');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await app.inject('/console')).headers.location).toBe('/console/');
    expect((await app.inject('/console/missing.js')).statusCode).toBe(404);
  });

  it('says how to build the console when it is not built', async () => {
    const app = await serve(join(dist, 'nowhere'));
    const res = await app.inject('/console');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:console');
  });
});
