import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';

/** The seed document's Kling example, exactly as published. */
const seedKlingExample = {
  model: 'kling-v1',
  prompt: '一个穿着宇航服的宇航员在月球上行走, 高品质, 电影级',
  size: '1920x1080',
  image: 'https://h2.inkwai.com/bs2/upload-ylab-stunt/se/ai_portal_queue_mmu_image_upscale_aiweb/3214b798-e1b4-4b00-b7af-72b5b0417420_raw_image_0.jpg',
  duration: 5,
  metadata: {
    seed: 20231234,
    negative_prompt: '模糊',
    image_tail: 'https://h1.inkwai.com/bs2/upload-ylab-stunt/1fa0ac67d8ce6cd55b50d68b967b3a59.png',
  },
};

describe.each(testDatabases())('seed API on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.channel('kling');
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  it("runs the seed's Kling example to succeeded with a downloadable MP4", async () => {
    const submitted = await h.submit(key, seedKlingExample);
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ status: 'processing', format: 'mp4', url: null, error: null, model: 'kling-v1' });
    expect(submitted.body.task_id).toMatch(/^task_/);

    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('succeeded');
    expect(done.body.error).toBeNull();
    expect(done.body.metadata).toEqual({ duration: 5, fps: null, width: null, height: null, seed: null });
    expect(done.body.completed_at).toBeGreaterThanOrEqual(done.body.created_at);
    expect(Object.keys(done.body)).toEqual(expect.arrayContaining(['task_id', 'status', 'format', 'url', 'metadata', 'error']));

    const video = await fetch(done.body.url);
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await video.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('ascii')).toBe('ftyp');
  });
});
