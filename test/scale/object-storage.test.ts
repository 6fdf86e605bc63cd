/**
 * Re-hosted content in an S3-compatible object store (s3rver, started by the test): streamed through Reelay with
 * Range or handed out as a presigned redirect, removed by the retention sweep, and an outage of the store that
 * delays the copy while the task stays succeeded and downloadable from the vendor.
 */
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { hostedContentOf } from '../../src/content/service.js';
import { S3Storage } from '../../src/content/storage/s3.js';
import { sampleVideo } from '../../src/simulator/server.js';
import { Harness, testDatabases } from '../support/harness.js';
import { bytesOf, openaiClient, waitForVideo } from '../support/openai.js';
import { s3Credentials, startS3Server, type RunningS3Server } from '../support/s3-server.js';

let s3: RunningS3Server;
let bucket: S3Storage;
beforeAll(async () => {
  s3 = await startS3Server();
  // The test's own view of the bucket, to see what Reelay put there.
  bucket = new S3Storage({
    location: { bucket: s3.bucket, prefix: 'reelay' },
    region: 'us-east-1',
    endpoint: s3.endpoint,
    credentials: s3Credentials,
  });
});
afterAll(async () => {
  bucket.close();
  await s3.close();
});

describe.each(testDatabases())('content in an object store, on %s', (database) => {
  let h: Harness;
  afterEach(async () => {
    await s3.start(); // running again after an outage test
    await h.close();
  });

  async function start(config: Partial<Config> = {}) {
    h = await Harness.start({ database, config: { ...s3.env('reelay'), ...config } });
    await h.channel('kling');
    const { key } = await h.user();
    return { key, client: openaiClient(h.url + '/v1', key) };
  }

  async function storedVideoKey(taskId: string): Promise<string | undefined> {
    const job = await h.gateway.deps.database.db
      .selectFrom('task_jobs')
      .selectAll()
      .where('task_id', '=', taskId)
      .executeTakeFirstOrThrow();
    return hostedContentOf(job)?.video.key;
  }

  it('streams a re-hosted result from the bucket, by range too, and the retention sweep removes the object', async () => {
    const { key, client } = await start();
    const { id } = await client.videos.create({ model: 'kling-v1', prompt: 'kept in a bucket' });
    expect((await waitForVideo(client, id, h)).expires_at).not.toBeNull();
    const objectKey = (await storedVideoKey(id))!;
    expect(await bucket.size(objectKey)).toBe(sampleVideo.length);

    // The vendor's copy is gone: what is served comes from the bucket.
    h.sim.world.expireAllFiles();
    expect(await bytesOf(await client.videos.downloadContent(id))).toEqual(sampleVideo);
    const part = await request(`${h.url}/v1/videos/${id}/content`, {
      headers: { authorization: `Bearer ${key}`, range: 'bytes=100-199' },
    });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${sampleVideo.length}`);
    expect(part.headers['x-content-type-options']).toBe('nosniff');
    expect(Buffer.from(await part.body.arrayBuffer())).toEqual(sampleVideo.subarray(100, 200));

    const afterRetention = Date.now() + 8 * 24 * 3_600_000;
    expect(await h.gateway.deps.content.sweepExpired(afterRetention)).toBe(1);
    expect(await bucket.size(objectKey)).toBeNull();
  });

  it('sweeps content whose object is already gone', async () => {
    const { client } = await start();
    const { id } = await client.videos.create({ model: 'kling-v1', prompt: 'removed by hand' });
    await waitForVideo(client, id, h);
    const objectKey = (await storedVideoKey(id))!;
    await bucket.delete(objectKey);
    expect(await h.gateway.deps.content.sweepExpired(Date.now() + 8 * 24 * 3_600_000)).toBe(1);
    expect(await storedVideoKey(id)).toBeUndefined();
  });

  it('with CONTENT_DELIVERY=redirect, sends clients to a presigned URL that ends no later than their link', async () => {
    const { key, client } = await start({ CONTENT_DELIVERY: 'redirect' });
    const { id } = await client.videos.create({ model: 'kling-v1', prompt: 'fetched from the bucket' });
    await waitForVideo(client, id, h);
    h.sim.world.expireAllFiles();

    const link = new URL((await h.query(key, id)).body.url as string);
    const linkExpires = Number(link.searchParams.get('expires'));
    const redirect = await request(link);
    expect(redirect.statusCode).toBe(302);
    await redirect.body.dump();
    const presigned = new URL(redirect.headers.location as string);
    expect(presigned.origin).toBe(s3.endpoint);
    const signedAt = Date.parse(
      presigned.searchParams
        .get('X-Amz-Date')!
        .replace(/(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z/, '$1-$2-$3T$4:$5:$6Z'),
    );
    const presignedEnds = signedAt / 1000 + Number(presigned.searchParams.get('X-Amz-Expires'));
    expect(presignedEnds).toBeLessThanOrEqual(linkExpires);

    const whole = await request(presigned);
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toBe('video/mp4');
    expect(whole.headers['content-disposition']).toBe('inline');
    expect(Buffer.from(await whole.body.arrayBuffer())).toEqual(sampleVideo);
    const part = await request(presigned, { headers: { range: 'bytes=10-19' } });
    expect(part.statusCode).toBe(206);
    expect(Buffer.from(await part.body.arrayBuffer())).toEqual(sampleVideo.subarray(10, 20));

    // The SDK follows the redirect like a browser would.
    expect(await bytesOf(await client.videos.downloadContent(id))).toEqual(sampleVideo);
  });

  it('while the store is down, a success stays visible and downloadable from the vendor; the copy lands when it is back', async () => {
    // Two attempts would give up on a failing vendor; a store that is down is waited for past them.
    const { key, client } = await start({ REHOST_RETRY_MS: 200, REHOST_MAX_ATTEMPTS: 2 });
    await s3.stop();
    const { id } = await client.videos.create({ model: 'kling-v1', prompt: 'through an outage' });
    const done = await waitForVideo(client, id);
    expect(done.status).toBe('completed');

    const jobOf = () =>
      h.gateway.deps.database.db
        .selectFrom('task_jobs')
        .select(['rehost_attempts', 'hosted_content', 'copy_due_at'])
        .where('task_id', '=', id)
        .executeTakeFirstOrThrow();
    await waitUntil(async () => (await jobOf()).rehost_attempts >= 3);
    expect((await jobOf()).hosted_content).toBeNull();
    expect((await jobOf()).copy_due_at).not.toBeNull();
    // Meanwhile Reelay's link streams the video from the vendor.
    expect((await h.query(key, id)).body.url).toContain(`/v1/videos/${id}/content?`);
    expect(await bytesOf(await client.videos.downloadContent(id))).toEqual(sampleVideo);

    await s3.start();
    await waitUntil(async () => (await jobOf()).hosted_content !== null);
    expect((await jobOf()).copy_due_at).toBeNull();
    h.sim.world.expireAllFiles();
    expect(await bytesOf(await client.videos.downloadContent(id))).toEqual(sampleVideo);
  });

  it('serves from the vendor while the store is down, deletes a video then, and leaves its objects to a later sweep', async () => {
    const { client } = await start();
    const kept = await client.videos.create({ model: 'kling-v1', prompt: 'swept later' });
    const deleted = await client.videos.create({ model: 'kling-v1', prompt: 'deleted in the outage' });
    await waitForVideo(client, kept.id, h);
    await waitForVideo(client, deleted.id, h);
    const objectKeys = [(await storedVideoKey(kept.id))!, (await storedVideoKey(deleted.id))!];
    const afterRetention = Date.now() + 8 * 24 * 3_600_000;

    await s3.stop();
    // The vendor still has it: served from there while the store is down.
    expect(await bytesOf(await client.videos.downloadContent(kept.id))).toEqual(sampleVideo);
    expect(await client.videos.delete(deleted.id)).toMatchObject({ deleted: true });
    expect(await h.gateway.deps.content.sweepExpired(afterRetention)).toBe(0);
    expect(await storedVideoKey(kept.id)).toBe(objectKeys[0]);

    await s3.start();
    expect(await h.gateway.deps.content.sweepExpired(afterRetention)).toBe(2);
    for (const objectKey of objectKeys) expect(await bucket.size(objectKey)).toBeNull();
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
