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

  it('points an unknown model’s 400 at /v1/models', async () => {
    const { key } = await h.user();
    const res = await h.submit(key, { model: 'no-such-model', prompt: 'a cat' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/GET \/v1\/models/);
  });
});
