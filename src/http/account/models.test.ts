/** GET /v1/models: exactly the models a key can use now, in OpenAI's list shape with Reelay's extras. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';
import { demoChannels } from '../../simulator/accounts.js';

describe.each(testDatabases())('model discovery on %s', (database) => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.channel('kling', { models: ['kling-v1', 'kling-v1-6'] });
    await h.channel('vidu', { models: ['viduq2'], priority: 5 });
    await h.channel('kling', { models: ['viduq2'], model_mapping: { viduq2: 'kling-v1' } });
    await h.price('kling-v1', { unit: 'second', price: 100_000 });
    // A model served only by a disabled channel, and one served without a price: neither can be used now.
    await h.channel('vidu', { models: ['viduq1'], enabled: false });
    const spec = demoChannels(h.sim).find((c) => c.vendor === 'jimeng')!;
    await h.admin('POST', '/channels', { ...spec, name: 'unpriced', models: ['jimeng-unpriced'] });
  });
  afterAll(() => h.close());

  it('lists the models a key may use now, with their vendors and prices', async () => {
    const { key } = await h.user();
    const res = await h.http('GET', '/v1/models', { token: key });
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('list');
    expect(res.body.data.map((m: any) => m.id)).toEqual(['kling-v1', 'kling-v1-6', 'viduq2']);
    const viduq2 = res.body.data.find((m: any) => m.id === 'viduq2');
    expect(viduq2).toMatchObject({
      object: 'model',
      owned_by: 'vidu',
      reelay: { vendors: ['vidu', 'kling'] },
    });
    expect(res.body.data[0].reelay.price).toMatchObject({ unit: 'second', price: 100_000 });
    expect(res.body.data[0].created).toBeGreaterThan(1_700_000_000);
  });

  it("lists only a restricted key's models, and answers one model or a 404 in OpenAI's shape", async () => {
    const { key } = await h.user({ models: ['kling-v1-6', 'viduq1'] });
    const res = await h.http('GET', '/v1/models', { token: key });
    expect(res.body.data.map((m: any) => m.id)).toEqual(['kling-v1-6']);
    const one = await h.http('GET', '/v1/models/kling-v1-6', { token: key });
    expect(one.body).toMatchObject({ id: 'kling-v1-6', owned_by: 'kling' });
    const refused = await h.http('GET', '/v1/models/kling-v1', { token: key });
    expect(refused.status).toBe(404);
    expect(refused.body.error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect((await h.http('GET', '/v1/models')).status).toBe(401);
  });

  it('lists what a model takes from the table its submit checks: listed values pass, others are refused', async () => {
    const { key, userId } = await h.user();
    await h.topUp(userId, 10_000_000);
    const models = (await h.http('GET', '/v1/models', { token: key })).body.data;
    const kling = models.find((m: any) => m.id === 'kling-v1');
    expect(kling.reelay).toMatchObject({
      durations: [5, 10],
      aspect_ratios: ['16:9', '9:16', '1:1'],
      images: { first_frame: true, last_frame: true, references: 0, required: false },
    });
    // Vidu serves viduq2 first: the table is Vidu's, not that of the Kling channel mapping it to kling-v1.
    const vidu = models.find((m: any) => m.id === 'viduq2');
    expect(vidu.reelay).toMatchObject({
      durations: [5, 1, 2, 3, 4, 6, 7, 8, 9, 10],
      aspect_ratios: ['16:9', '9:16', '1:1', '4:3', '3:4'],
      // viduq2 frames nothing on Vidu: text2video, or reference2video from up to 7 images.
      images: { first_frame: false, last_frame: false, references: 7, required: false },
    });

    for (const duration of kling.reelay.durations) {
      const accepted = await h.submit(key, { model: 'kling-v1', prompt: 'a cat', duration });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    }
    const refused = await h.submit(key, { model: 'kling-v1', prompt: 'a cat', duration: 7 });
    expect(refused.status).toBe(400);
    expect(refused.body.param).toBe('duration');
    expect(refused.body.message).toContain('5 or 10');

    // An image-only model says it needs a first frame, and a text-only submit is refused for it.
    await h.channel('kling', { models: ['kling-v1-5'] });
    await h.price('kling-v1-5', { unit: 'call', price: 1_000 });
    const imageOnly = await h.http('GET', '/v1/models/kling-v1-5', { token: key });
    expect(imageOnly.body.reelay.images).toMatchObject({ first_frame: true, required: true });
    const textOnly = await h.submit(key, { model: 'kling-v1-5', prompt: 'a cat' });
    expect(textOnly.status).toBe(400);
    expect(textOnly.body.param).toBe('image');
  });

  it('points an unknown model’s 400 at /v1/models', async () => {
    const { key } = await h.user();
    const res = await h.submit(key, { model: 'no-such-model', prompt: 'a cat' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/GET \/v1\/models/);
  });
});
