/**
 * fal and Replicate end to end: clients on the generations surface and on /v1/videos (the official openai SDK), the
 * real gateway, the aggregator simulators, vendor callbacks, and failover from a direct Kling channel to fal.
 */
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';
import { expectDownloadableMp4, expectVideoAsReported } from '../../test/support/media.js';
import { bytesOf, openaiClient, waitForVideo } from '../../test/support/openai.js';

const cover = readFileSync(new URL('../simulator/assets/cover.jpg', import.meta.url));
const frame = 'https://example.com/frame.png';

/** Per aggregator: its Kling and Veo models (text, image), a model outside the mapping table, and its 422. */
const aggregators = [
  {
    vendor: 'fal',
    kling: {
      text: 'fal-ai/kling-video/v2.1/standard/text-to-video',
      image: 'fal-ai/kling-video/v2.1/standard/image-to-video',
    },
    veo: { text: 'fal-ai/veo3', image: 'fal-ai/veo3/image-to-video' },
    unmapped: { model: 'fal-ai/ltx-video', metadata: { num_inference_steps: 30 } },
    invalid: { metadata: { num_inference_steps: 500 }, field: 'num_inference_steps' },
  },
  {
    vendor: 'replicate',
    kling: { text: 'kwaivgi/kling-v2.1-master', image: 'kwaivgi/kling-v2.1' },
    veo: { text: 'google/veo-3', image: 'google/veo-3' },
    unmapped: { model: 'lightricks/ltx-video', metadata: { length: 129 } },
    invalid: { metadata: { length: 100 }, field: 'length' },
  },
] as const;

const cases = testDatabases().flatMap((database) => aggregators.map((a) => [a.vendor, database, a] as const));

describe.each(cases)('%s through the gateway on %s', (vendor, database, aggregator) => {
  let h: Harness;
  let key: string;
  let client: OpenAI;

  beforeAll(async () => {
    h = await Harness.start({ database, publicUrl: true });
    await h.channel(vendor);
    key = (await h.user()).key;
    client = openaiClient(h.url + '/v1', key);
  });
  afterAll(() => h.close());

  const latestTask = () => [...h.sim.world.tasks.values()].filter((t) => t.vendor === vendor).at(-1)!;

  it.each([
    ['Kling', 'text', aggregator.kling.text, {}],
    ['Kling', 'image', aggregator.kling.image, { image: frame }],
    ['Veo', 'text', aggregator.veo.text, { size: '1280x720' }],
    ['Veo', 'image', aggregator.veo.image, { image: frame }],
  ])(
    'takes %s %s-to-video to succeeded on the generations surface, re-hosted by Reelay',
    async (_, __, model, fields) => {
      const submitted = await h.submit(key, { model, prompt: 'a lighthouse at dusk', ...fields });
      expect(submitted.status).toBe(200);
      const done = await h.waitForEnd(key, submitted.body.task_id);
      expect(done.body).toMatchObject({ status: 'succeeded', model, error: null });
      expect(done.body.url.startsWith(h.url)).toBe(true);
      await expectDownloadableMp4(done.body.url);
    },
  );

  it.each([
    ['Kling', aggregator.kling.text, aggregator.kling.image, '5'],
    ['Veo', aggregator.veo.text, aggregator.veo.image, '8'],
  ])(
    'takes %s to completed on /v1/videos with the openai SDK, text and image',
    async (_, text, image, seconds) => {
      const fromText = await client.videos.create({
        model: text,
        prompt: 'a lighthouse',
        seconds: seconds as never,
      });
      const fromImage = await client.videos.create({
        model: image,
        prompt: 'the picture comes alive',
        input_reference: await toFile(cover, 'first-frame.jpg', { type: 'image/jpeg' }),
      });
      for (const created of [fromText, fromImage]) {
        const done = await waitForVideo(client, created.id, h);
        expect(done.status).toBe('completed');
        expectVideoAsReported(await bytesOf(await client.videos.downloadContent(created.id)), done);
      }
      // The uploaded frame reached the model as a data URI under the model's own image field.
      expect(JSON.stringify(latestTask().request)).toContain(
        `data:image/jpeg;base64,${cover.toString('base64')}`,
      );
    },
  );

  it('runs a model outside the mapping table with its inputs passed through from metadata', async () => {
    const { model, metadata } = aggregator.unmapped;
    const submitted = await h.submit(key, { model, prompt: 'a lighthouse at dusk', metadata });
    expect(submitted.status).toBe(200);
    expect(JSON.stringify(latestTask().request)).toContain(JSON.stringify(metadata).slice(1, -1));
    expect((await h.waitForEnd(key, submitted.body.task_id)).body.status).toBe('succeeded');
  });

  it("gives the client the model's own validation refusal as a 400 naming the field", async () => {
    const res = await h.submit(key, {
      model: aggregator.unmapped.model,
      prompt: 'a lighthouse at dusk',
      metadata: aggregator.invalid.metadata,
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(`input field ${aggregator.invalid.field}`);
  });

  it('refuses what Reelay cannot map for a model outside the table, before calling the vendor', async () => {
    const before = h.sim.world.requests(vendor, 'submit');
    const res = await h.submit(key, { model: aggregator.unmapped.model, prompt: 'a cat', image: frame });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ param: 'image', type: 'invalid_request_error' });
    expect(h.sim.world.requests(vendor, 'submit')).toBe(before);
  });

  it("hands the vendor Reelay's callback URL, and is called back once the job ends", async () => {
    const callbacks = h.sim.world.requests(vendor, 'callback');
    const submitted = await h.submit(key, { model: aggregator.veo.text, prompt: 'a lighthouse at dusk' });
    expect(JSON.stringify(latestTask().request)).toContain(`${h.url}/`);
    expect((await h.waitForEnd(key, submitted.body.task_id)).body.status).toBe('succeeded');
    await expect.poll(() => h.sim.world.requests(vendor, 'callback') - callbacks).toBe(1);
  });

  it('fails a task the model fails, with its reason', async () => {
    h.sim.world.inject(vendor, 'submit', { type: 'task_fails', reason: 'the scene could not be rendered' });
    const submitted = await h.submit(key, { model: aggregator.veo.text, prompt: 'a lighthouse at dusk' });
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body).toMatchObject({ status: 'failed', url: null });
    expect(done.body.error.message).toContain('the scene could not be rendered');
  });

  it('disables a channel whose key the vendor refuses, and answers 502 without leaking the key', async () => {
    const alias = `${vendor}-badkey`;
    const channelId = await h.channel(vendor, {
      models: [alias],
      model_mapping: { [alias]: aggregator.veo.text },
      credentials: { api_key: 'revoked-key-123' },
    });
    const res = await h.submit(key, { model: alias, prompt: 'a cat' });
    expect(res.status).toBe(502);
    expect(JSON.stringify(res.body)).not.toContain('revoked-key-123');
    expect((await h.admin('GET', `/channels/${channelId}`)).body).toMatchObject({ enabled: false });
  });

  it("checks a channel with one status query: the vendor's key accepted, a wrong one refused", async () => {
    const good = await h.channel(vendor);
    expect((await h.admin('POST', `/channels/${good}/test`)).body).toMatchObject({ ok: true });
    const bad = await h.channel(vendor, { credentials: { api_key: 'wrong-key' } });
    expect((await h.admin('POST', `/channels/${bad}/test`)).body).toMatchObject({ ok: false });
    await h.admin('PATCH', `/channels/${bad}`, { enabled: false });
  });

  it('prices a model whose id holds slashes', async () => {
    const model = aggregator.veo.text;
    await h.price(model, { unit: 'second', price: 100_000 });
    const price = await h.admin('GET', `/prices/${encodeURIComponent(model)}`);
    expect(price.status).toBe(200);
    expect(price.body).toMatchObject({ model, unit: 'second', price: 100_000 });
  });
});

describe.each(testDatabases())('Kling direct with Kling on fal as the spare, on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ database });
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  // Kling 2.1 (standard) makes videos from an image, on Kling and on fal alike.
  const frame = `data:image/jpeg;base64,${cover.toString('base64')}`;

  it('moves a submit the direct Kling channel cannot take to the fal channel for the same client model', async () => {
    await h.channel('kling', { models: ['kling-v2-1'], priority: 10 });
    await h.channel('fal', {
      models: ['kling-v2-1'],
      model_mapping: { 'kling-v2-1': 'fal-ai/kling-video/v2.1/standard/image-to-video' },
      priority: 0,
    });
    h.sim.world.inject('kling', 'submit', { type: 'http_error', status: 500 });
    const submitted = await h.submit(key, {
      model: 'kling-v2-1',
      prompt: 'a lighthouse',
      duration: 10,
      image: frame,
    });
    expect(submitted.status).toBe(200);
    expect(h.sim.world.requests('kling', 'submit')).toBe(1);
    expect(h.sim.world.requests('fal', 'submit')).toBe(1);
    const falTask = [...h.sim.world.tasks.values()].find((t) => t.vendor === 'fal')!;
    expect(falTask.request).toMatchObject({
      endpoint: 'fal-ai/kling-video/v2.1/standard/image-to-video',
      input: { prompt: 'a lighthouse', duration: '10', image_url: frame },
    });
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body).toMatchObject({ status: 'succeeded', model: 'kling-v2-1' });
    await expectDownloadableMp4(done.body.url);

    // Without trouble, the direct channel serves it.
    const direct = await h.submit(key, { model: 'kling-v2-1', prompt: 'a lighthouse', image: frame });
    expect((await h.waitForEnd(key, direct.body.task_id)).body.status).toBe('succeeded');
    expect(h.sim.world.requests('kling', 'submit')).toBe(2);
    expect(h.sim.world.requests('fal', 'submit')).toBe(1);
  });
});

describe.each(cases)("%s's callback alone brings the end, on %s", (vendor, database, aggregator) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    // Regular polls ten minutes away: only the vendor's callback can make Reelay look in time.
    const far = 600_000;
    h = await Harness.start({
      database,
      publicUrl: true,
      config: { POLL_INITIAL_DELAY_MS: far, POLL_MAX_DELAY_MS: far },
    });
    await h.channel(vendor);
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  it('succeeds as soon as the vendor calls back', async () => {
    const submitted = await h.submit(key, { model: aggregator.kling.text, prompt: 'a lighthouse at dusk' });
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('succeeded');
    await expectDownloadableMp4(done.body.url);
  });
});
