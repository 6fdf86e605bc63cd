import OpenAI, { toFile } from 'openai';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';
import { sampleVideo } from '../../simulator/server.js';
import { bytesOf, openaiClient, waitForVideo } from '../../../test/support/openai.js';

const cover = readFileSync(new URL('../../simulator/assets/cover.jpg', import.meta.url));

describe.each(testDatabases())('OpenAI-compatible /v1/videos on %s', (database) => {
  let h: Harness;
  let key: string;
  let client: OpenAI;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.channel('kling');
    key = (await h.user()).key;
    client = openaiClient(h.url + '/v1', key);
  });
  afterAll(() => h.close());

  it('creates a Kling video through the SDK and downloads the MP4', async () => {
    const created = await client.videos.create({
      model: 'kling-v1',
      prompt: 'a lighthouse at dusk',
      seconds: '5' as never,
      size: '1280x720',
    });
    expect(created).toMatchObject({
      object: 'video',
      model: 'kling-v1',
      status: 'queued',
      prompt: 'a lighthouse at dusk',
      seconds: '5',
      size: '1280x720',
      completed_at: null,
      remixed_from_video_id: null,
      error: null,
    });
    expect(created.id).toMatch(/^task_/);

    const done = await waitForVideo(client, created.id, h);
    expect(done).toMatchObject({ status: 'completed', progress: 100, error: null });
    expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);
    expect(done.expires_at).toBeGreaterThan(done.completed_at!);

    const content = await client.videos.downloadContent(created.id);
    expect(content.headers.get('content-type')).toBe('video/mp4');
    expect(await bytesOf(content)).toEqual(sampleVideo);

    // The same task on the generations surface.
    const generations = await h.query(key, created.id);
    expect(generations.body).toMatchObject({ task_id: created.id, status: 'succeeded' });
  });

  it('takes the first frame as an uploaded file', async () => {
    const created = await client.videos.create({
      model: 'kling-v1',
      prompt: 'the picture comes alive',
      input_reference: await toFile(cover, 'first-frame.jpg', { type: 'image/jpeg' }),
    });
    const done = await waitForVideo(client, created.id, h);
    expect(done.status).toBe('completed');
    const simTask = [...h.sim.world.tasks.values()].find(
      (t) => t.request.prompt === 'the picture comes alive',
    );
    expect(simTask?.request.endpoint).toBe('image2video');
    expect(simTask?.request.image).toBe(cover.toString('base64'));
  });

  it('takes a JSON body with input_reference.image_url, as older SDKs and curl send it', async () => {
    const created = await client.post<OpenAI.Videos.Video>('/videos', {
      body: {
        model: 'kling-v1',
        prompt: 'from a URL',
        seconds: '10',
        input_reference: { image_url: 'https://example.com/frame.png' },
      },
    });
    expect(created).toMatchObject({ object: 'video', seconds: '10' });
    const simTask = [...h.sim.world.tasks.values()].find((t) => t.request.prompt === 'from a URL');
    expect(simTask?.request.image).toBe('https://example.com/frame.png');
  });

  it('takes input_reference[image_url] as recent SDKs send it, and refuses a file_id', async () => {
    await client.videos.create({
      model: 'kling-v1',
      prompt: 'bracketed',
      input_reference: { image_url: 'https://example.com/b.png' },
    });
    const simTask = [...h.sim.world.tasks.values()].find((t) => t.request.prompt === 'bracketed');
    expect(simTask?.request.image).toBe('https://example.com/b.png');

    const byFileId = await client.videos
      .create({ model: 'kling-v1', prompt: 'x', input_reference: { file_id: 'file-123' } })
      .catch((e: unknown) => e);
    expect(byFileId).toBeInstanceOf(OpenAI.BadRequestError);
    expect(byFileId).toMatchObject({ param: 'input_reference.file_id' });
  });

  it("lists only the caller's videos, newest first, across pages", async () => {
    const lister = await h.user();
    const own = openaiClient(h.url + '/v1', lister.key);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await own.videos.create({ model: 'kling-v1', prompt: `clip ${i}` })).id);

    const seen: string[] = [];
    for await (const video of own.videos.list({ limit: 2 })) seen.push(video.id);
    expect(seen).toEqual([...ids].reverse());

    const ascending: string[] = [];
    for await (const video of own.videos.list({ limit: 3, order: 'asc' })) ascending.push(video.id);
    expect(ascending).toEqual(ids);

    const firstPage = await own.videos.list({ limit: 2 });
    expect(firstPage.has_more).toBe(true);
    expect(firstPage.data.map((v) => v.id)).toEqual([ids[4], ids[3]]);
  });

  it('deletes a finished video from both surfaces', async () => {
    const created = await client.videos.create({ model: 'kling-v1', prompt: 'short-lived' });
    await expect(client.videos.delete(created.id)).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await waitForVideo(client, created.id, h);

    expect(await client.videos.delete(created.id)).toEqual({
      id: created.id,
      object: 'video.deleted',
      deleted: true,
    });
    await expect(client.videos.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.videos.downloadContent(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect((await h.query(key, created.id)).status).toBe(404);
    const listed: string[] = [];
    for await (const video of client.videos.list()) listed.push(video.id);
    expect(listed).not.toContain(created.id);
  });

  it("answers errors in OpenAI's shape, as the SDK's error classes", async () => {
    const stranger = openaiClient(h.url + '/v1', (await h.user()).key);
    const mine = await client.videos.create({ model: 'kling-v1', prompt: 'private' });
    await expect(stranger.videos.retrieve(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const badKey = openaiClient(h.url + '/v1', 'sk-not-a-real-key');
    await expect(badKey.videos.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const wrongLength = await client.videos
      .create({ model: 'kling-v1', prompt: 'x', seconds: '8' })
      .catch((e: unknown) => e);
    expect(wrongLength).toBeInstanceOf(OpenAI.BadRequestError);
    expect((wrongLength as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('seconds');

    const raw = await h.http('POST', '/v1/videos', {
      token: key,
      body: { model: 'kling-v1', prompt: 'x', size: 'huge' },
    });
    expect(raw.status).toBe(400);
    expect(raw.body).toEqual({
      error: {
        message: expect.any(String),
        type: 'invalid_request_error',
        param: 'size',
        code: 'invalid_request',
      },
    });

    const unknown = await h.http('POST', '/v1/videos', {
      token: key,
      body: { model: 'kling-v1', prompt: 'x', style: 'noir' },
    });
    expect(unknown.body.error).toMatchObject({ param: 'style', code: 'unknown_parameter' });
  });

  it('serves byte ranges, and 416 for a range past the end', async () => {
    const created = await client.videos.create({ model: 'kling-v1', prompt: 'seekable' });
    await waitForVideo(client, created.id, h);
    const path = `/v1/videos/${created.id}/content`;

    const partial = await request(h.url + path, {
      headers: { authorization: `Bearer ${key}`, range: 'bytes=100-1099' },
    });
    expect(partial.statusCode).toBe(206);
    expect(partial.headers['content-range']).toBe(`bytes 100-1099/${sampleVideo.length}`);
    expect(partial.headers['content-length']).toBe('1000');
    expect(Buffer.from(await partial.body.arrayBuffer())).toEqual(sampleVideo.subarray(100, 1100));

    const tail = await request(h.url + path, {
      headers: { authorization: `Bearer ${key}`, range: 'bytes=-10' },
    });
    expect(tail.statusCode).toBe(206);
    expect(Buffer.from(await tail.body.arrayBuffer())).toEqual(sampleVideo.subarray(-10));

    const beyond = await request(h.url + path, {
      headers: { authorization: `Bearer ${key}`, range: `bytes=${sampleVideo.length}-` },
    });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${sampleVideo.length}`);
    await beyond.body.dump();
  });

  it('keeps serving a re-hosted video after the vendor URL expired, also by its signed link', async () => {
    const created = await client.videos.create({ model: 'kling-v1', prompt: 'outlives the vendor' });
    await waitForVideo(client, created.id, h);
    const generations = await h.query(key, created.id);
    h.sim.world.expireAllFiles();

    expect(await bytesOf(await client.videos.downloadContent(created.id))).toEqual(sampleVideo);

    // The generations surface's url is Reelay's own signed link: it works without the API key, as a <video> src would.
    const link = new URL(generations.body.url);
    expect(link.origin).toBe(h.url);
    const viaLink = await request(link);
    expect(viaLink.statusCode).toBe(200);
    expect(Buffer.from(await viaLink.body.arrayBuffer())).toEqual(sampleVideo);

    link.searchParams.set('expires', String(Number(link.searchParams.get('expires')) + 3600));
    const tampered = await request(link);
    expect(tampered.statusCode).toBe(403);
    expect(await tampered.body.json()).toMatchObject({ error: { code: 'invalid_signature' } });

    const past = Math.floor(Date.now() / 1000) - 1;
    const signature = h.gateway.links.signature({
      taskId: created.id,
      index: 0,
      variant: 'video',
      expires: past,
    });
    const expired = await request(
      `${h.url}/v1/videos/${created.id}/content?variant=video&expires=${past}&signature=${signature}`,
    );
    expect(expired.statusCode).toBe(403);
    expect(await expired.body.json()).toMatchObject({ error: { code: 'link_expired' } });
  });

  it('has no thumbnail where the vendor gives no cover, and no remix where the vendor cannot', async () => {
    const created = await client.videos.create({ model: 'kling-v1', prompt: 'no cover' });
    await waitForVideo(client, created.id, h);
    const thumbnail = await client.videos
      .downloadContent(created.id, { variant: 'thumbnail' })
      .catch((e: unknown) => e);
    expect(thumbnail).toBeInstanceOf(OpenAI.NotFoundError);
    expect((thumbnail as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('thumbnail_unavailable');

    const remix = await client.videos.remix(created.id, { prompt: 'again' }).catch((e: unknown) => e);
    expect(remix).toBeInstanceOf(OpenAI.BadRequestError);
    expect((remix as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('remix_not_supported');
  });
});
