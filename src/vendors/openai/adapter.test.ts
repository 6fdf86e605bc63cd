import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';
import { simulatedClip } from '../../simulator/clips.js';

/** The clip the simulator makes for sora-2 at 8 s, 1280x720. */
const eightSeconds = simulatedClip({ seconds: 8, width: 1280, height: 720 });
import { bytesOf, openaiClient, waitForVideo } from '../../../test/support/openai.js';

const thumbnail = readFileSync(new URL('../../simulator/assets/cover.webp', import.meta.url));
const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

/** The simulator's own video behind a Reelay task (the test looks it up by prompt). */
function simVideo(h: Harness, prompt: string) {
  return [...h.sim.world.tasks.values()].find((t) => t.vendor === 'openai' && t.request.prompt === prompt);
}

describe.each(testDatabases())('openai vendor against its simulator on %s', (database) => {
  let h: Harness;
  let key: string;
  let client: OpenAI;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.channel('openai');
    key = (await h.user()).key;
    client = openaiClient(h.url + '/v1', key);
  });
  afterAll(() => h.close());
  beforeEach(() => h.sim.world.reset());

  it('runs Sora through Reelay: content and thumbnail outlive the upstream, and a remix starts from the upstream video', async () => {
    const created = await client.videos.create({
      model: 'sora-2',
      prompt: 'a kite over the dunes',
      seconds: '8',
      size: '1280x720',
    });
    expect(created).toMatchObject({ model: 'sora-2', status: 'queued', seconds: '8', size: '1280x720' });
    expect(await waitForVideo(client, created.id, h)).toMatchObject({
      status: 'completed',
      seconds: '8',
      size: '1280x720',
    });
    expect(simVideo(h, 'a kite over the dunes')?.request).toMatchObject({
      model: 'sora-2',
      seconds: '8',
      size: '1280x720',
    });

    h.sim.world.expireAllFiles();
    expect(await bytesOf(await client.videos.downloadContent(created.id))).toEqual(eightSeconds);
    const cover = await client.videos.downloadContent(created.id, { variant: 'thumbnail' });
    expect(cover.headers.get('content-type')).toBe('image/webp');
    expect(await bytesOf(cover)).toEqual(thumbnail);

    const remix = await client.videos.remix(created.id, { prompt: 'the kite at night' });
    expect(remix).toMatchObject({
      remixed_from_video_id: created.id,
      status: 'queued',
      seconds: '8',
      size: '1280x720',
    });
    expect(await waitForVideo(client, remix.id, h)).toMatchObject({
      status: 'completed',
      remixed_from_video_id: created.id,
    });
    expect(simVideo(h, 'the kite at night')?.request.remixedFrom).toBe(
      simVideo(h, 'a kite over the dunes')?.id,
    );
    expect(await bytesOf(await client.videos.downloadContent(remix.id))).toEqual(eightSeconds);
  });

  it("gives the generations surface Reelay's link for content the upstream serves only to the account", async () => {
    const submitted = await h.submit(key, {
      model: 'sora-2',
      prompt: 'from the generations surface',
      image: `data:image/png;base64,${pixel}`,
    });
    expect(submitted.status).toBe(200);
    expect(simVideo(h, 'from the generations surface')?.request.inputReference).toBe(
      `data:image/png;base64,${pixel}`,
    );
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body).toMatchObject({
      status: 'succeeded',
      metadata: { duration: 4, width: 720, height: 1280 },
    });
    expect(done.body.url.startsWith(h.url + '/v1/videos/')).toBe(true);
    const video = await request(done.body.url);
    expect(video.statusCode).toBe(200);
    // The file is what the task says: sora-2's default 4 s in portrait.
    expect(Buffer.from(await video.body.arrayBuffer())).toEqual(
      simulatedClip({ seconds: 4, width: 720, height: 1280 }),
    );
  });

  it("refuses what Sora cannot render before calling it, in each surface's terms", async () => {
    const openaiSide = await client.videos
      .create({ model: 'sora-2', prompt: 'x', seconds: '5' as never })
      .catch((e: unknown) => e);
    expect(openaiSide).toBeInstanceOf(OpenAI.BadRequestError);
    expect(openaiSide).toMatchObject({ param: 'seconds' });
    const seedSide = await h.submit(key, { model: 'sora-2', prompt: 'x', size: '1920x1080' });
    expect(seedSide.status).toBe(400);
    expect(seedSide.body).toMatchObject({ param: 'size' });
    expect(h.sim.world.requests('openai', 'submit')).toBe(0);
  });

  it("passes on the upstream's refusals and failures", async () => {
    h.sim.world.inject('openai', 'submit', { type: 'content_safety' });
    const blocked = await client.videos
      .create({ model: 'sora-2', prompt: 'something forbidden' })
      .catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(OpenAI.BadRequestError);
    expect(blocked).toMatchObject({ code: 'content_policy_violation' });

    h.sim.world.inject('openai', 'submit', { type: 'task_fails', reason: 'the render crashed' });
    const failing = await client.videos.create({ model: 'sora-2', prompt: 'doomed' });
    expect(await waitForVideo(client, failing.id, h)).toMatchObject({
      status: 'failed',
      error: { code: 'video_generation_failed', message: 'the render crashed' },
    });
  });

  it('rides out rate limits and disables a channel whose key the upstream refuses', async () => {
    h.sim.world.inject('openai', 'poll', { type: 'rate_limit' });
    const patient = await client.videos.create({ model: 'sora-2', prompt: 'patient' });
    expect((await waitForVideo(client, patient.id, h)).status).toBe('completed');

    const spare = await h.channel('openai', { credentials: { api_key: 'sk-revoked' }, priority: 10 });
    const broken = await client.videos.create({ model: 'sora-2', prompt: 'after the revoked key' });
    expect((await waitForVideo(client, broken.id, h)).status).toBe('completed');
    const channel = await h.admin('GET', `/channels/${spare}`);
    expect(channel.body).toMatchObject({
      enabled: false,
      disabled_reason: expect.stringContaining('HTTP 401'),
    });
  });
});
