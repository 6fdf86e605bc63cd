import OpenAI, { toFile } from 'openai';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultOpenAIAccount } from './openai.js';
import { startSimulator, type RunningSimulator } from './server.js';
import { simulatedClip } from './clips.js';
import { bytesOf, openaiClient, waitForVideo } from '../../test/support/openai.js';

const cover = readFileSync(new URL('./assets/cover.jpg', import.meta.url));

/** The simulator must answer the official SDK exactly as OpenAI would. */
describe('OpenAI simulator, driven by the official openai SDK', () => {
  let sim: RunningSimulator;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 200 });
    client = openaiClient(`${sim.baseUrl('openai')}/v1`, defaultOpenAIAccount.api_key);
  });
  afterAll(() => sim.close());

  it('creates, completes, serves content, remixes, lists and deletes', async () => {
    const created = await client.videos.create({
      model: 'sora-2',
      prompt: 'a paper boat',
      seconds: '8',
      size: '1280x720',
    });
    expect(created).toMatchObject({
      object: 'video',
      status: 'queued',
      progress: 0,
      seconds: '8',
      size: '1280x720',
      completed_at: null,
      expires_at: null,
      error: null,
    });
    expect(created.id).toMatch(/^video_/);

    const done = await waitForVideo(client, created.id);
    expect(done).toMatchObject({ status: 'completed', progress: 100 });
    expect(done.expires_at).toBe(done.completed_at! + 3600);
    expect(await bytesOf(await client.videos.downloadContent(created.id))).toEqual(
      simulatedClip({ seconds: 8, width: 1280, height: 720 }),
    );
    const thumbnail = await client.videos.downloadContent(created.id, { variant: 'thumbnail' });
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');

    const remix = await client.videos.remix(created.id, { prompt: 'now at night' });
    expect(remix).toMatchObject({
      remixed_from_video_id: created.id,
      seconds: '8',
      size: '1280x720',
      prompt: 'now at night',
    });

    const ids: string[] = [];
    for await (const video of client.videos.list({ limit: 1 })) ids.push(video.id);
    expect(ids.slice(0, 2)).toEqual([remix.id, created.id]);

    expect(await client.videos.delete(created.id)).toEqual({
      id: created.id,
      object: 'video.deleted',
      deleted: true,
    });
    await expect(client.videos.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('takes an image file as input_reference, and refuses what OpenAI refuses', async () => {
    const withFile = await client.videos.create({
      prompt: 'animate this',
      input_reference: await toFile(cover, 'frame.jpg', { type: 'image/jpeg' }),
    });
    expect(withFile).toMatchObject({ model: 'sora-2', seconds: '4', size: '720x1280' });

    const badSeconds = await client.videos
      .create({ prompt: 'x', seconds: '5' as never })
      .catch((e: unknown) => e);
    expect(badSeconds).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badSeconds).toMatchObject({ param: 'seconds', code: 'invalid_value' });

    const notReady = await client.videos.downloadContent(withFile.id).catch((e: unknown) => e);
    expect(notReady).toBeInstanceOf(OpenAI.NotFoundError);

    const badKey = openaiClient(`${sim.baseUrl('openai')}/v1`, 'sk-wrong');
    await expect(badKey.videos.retrieve(withFile.id)).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
  });

  it('stops serving content once the link time is over', async () => {
    const created = await client.videos.create({ prompt: 'brief' });
    await waitForVideo(client, created.id);
    sim.world.expireAllFiles();
    await expect(client.videos.downloadContent(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
