/**
 * Two gateway processes on one PostgreSQL database and one bucket: a result that instance A copied into the
 * bucket (12 MiB, so a multipart upload streamed from the vendor) downloads through instance B, whole and by
 * range, after the vendor's copy is gone and with no directory shared between them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultKlingAccount } from '../../src/simulator/kling.js';
import { paddedVideo, startSimulator, type RunningSimulator } from '../../src/simulator/server.js';
import {
  call,
  killGateway,
  postgresSchema,
  startGateway,
  type GatewayProcess,
} from '../support/gateway-process.js';
import { testDatabases } from '../support/harness.js';
import { startS3Server, type RunningS3Server } from '../support/s3-server.js';

const adminToken = 'content-test-admin-token-0123456789';
const videoBytes = 12 * 1024 * 1024;

describe.skipIf(!testDatabases().includes('postgres'))('content across instances sharing one bucket', () => {
  let sim: RunningSimulator;
  let s3: RunningS3Server;
  let dataDir: string;
  let dropSchema: () => Promise<void>;
  let env: (n: number) => Record<string, string>;
  const gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 300, videoBytes });
    s3 = await startS3Server();
    dataDir = mkdtempSync(join(tmpdir(), 'reelay-content-scale-'));
    const schema = await postgresSchema('reelay_content');
    dropSchema = schema.drop;
    env = (n) => ({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: schema.url,
      // Each instance its own data directory: nothing but the bucket is shared.
      REELAY_DATA_DIR: join(dataDir, `instance-${n}`),
      REELAY_ADMIN_TOKEN: adminToken,
      REELAY_SECRET: 'content-test-secret-0123456789',
      LOG_LEVEL: 'info',
      POLL_INITIAL_DELAY_MS: '50',
      POLL_MAX_DELAY_MS: '200',
      POLL_TICK_MS: '20',
      ...s3.env('shared'),
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => killGateway(g)));
    await sim?.close();
    await s3?.close();
    rmSync(dataDir, { recursive: true, force: true });
    await dropSchema?.();
  });

  it('downloads through B what A copied into the bucket, whole and by range', async () => {
    const a = await startGateway(env(1));
    gateways.push(a);
    const admin = (method: string, path: string, body?: unknown) =>
      call(a.url, method, `/admin/v1${path}`, adminToken, body);
    await admin('PUT', '/prices/kling-v1', { unit: 'call', price: 0, free: true });
    const channel = await admin('POST', '/channels', {
      vendor: 'kling',
      name: 'kling',
      base_url: sim.baseUrl('kling'),
      credentials: defaultKlingAccount,
      models: ['kling-v1'],
    });
    expect(channel.status).toBe(201);
    const user = (await admin('POST', '/users', { name: 'content' })).body;
    const key = (await admin('POST', `/users/${user.id}/keys`, {})).body.key as string;

    const created = await call(a.url, 'POST', '/v1/videos', key, { model: 'kling-v1', prompt: 'shared' });
    expect(created.status).toBe(200);
    const id = created.body.id as string;
    // Copied once A sets the content's expiry (engine/result-copier.ts).
    let video = created.body;
    for (let tries = 0; video.expires_at === null && tries < 1_200; tries++) {
      await new Promise((r) => setTimeout(r, 50));
      video = (await call(a.url, 'GET', `/v1/videos/${id}`, key)).body;
    }
    expect(video).toMatchObject({ status: 'completed', expires_at: expect.any(Number) });

    // B starts only now, so that A alone made the copy; the vendor no longer has the file.
    const b = await startGateway(env(2));
    gateways.push(b);
    sim.world.expireAllFiles();
    const expected = paddedVideo(videoBytes);
    const whole = await request(`${b.url}/v1/videos/${id}/content`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(whole.statusCode).toBe(200);
    expect(Buffer.from(await whole.body.arrayBuffer()).equals(expected)).toBe(true);

    const start = videoBytes - 1000;
    const tail = await request(`${b.url}/v1/videos/${id}/content`, {
      headers: { authorization: `Bearer ${key}`, range: `bytes=${start}-` },
    });
    expect(tail.statusCode).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes ${start}-${videoBytes - 1}/${videoBytes}`);
    expect(Buffer.from(await tail.body.arrayBuffer()).equals(expected.subarray(start))).toBe(true);
  }, 180_000);
});
