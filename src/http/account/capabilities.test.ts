/**
 * What GET /v1/models lists for a model is what submit accepts: for every vendor whose adapter declares a table,
 * a listed duration passes, an unlisted one is a 400 naming `duration`, and a model that needs an image refuses a
 * submit without one. Through the gateway and the vendors' simulators; stops at submit acceptance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';
import { pngBase64 } from '../../../test/support/aggregators.js';
import { adapterFor, vendorNames } from '../../vendors/registry.js';

/** Per vendor: its first model with a table, and its first model that needs an image (when it has one). */
const cases = vendorNames.flatMap((vendor) => {
  const adapter = adapterFor(vendor)!;
  const declared = adapter.models.filter((model) => adapter.capabilities?.(model));
  const imageOnly = declared.find((model) => adapter.capabilities!(model)!.images.required);
  const picked = [...new Set([declared[0], imageOnly].filter((model) => model !== undefined))];
  return picked.map((upstream, index) => ({ vendor, upstream, model: `caps-${vendor}-${index}` }));
});
const pngDataUrl = `data:image/png;base64,${pngBase64}`;

describe('every vendor declaring capabilities', () => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ database: testDatabases()[0]! });
    for (const vendor of new Set(cases.map((c) => c.vendor))) {
      const mine = cases.filter((c) => c.vendor === vendor);
      await h.channel(vendor, {
        models: mine.map((c) => c.model),
        model_mapping: Object.fromEntries(mine.map((c) => [c.model, c.upstream])),
      });
    }
    ({ key } = await h.user());
  });
  afterAll(() => h.close());

  it('covers every vendor', () => {
    expect([...new Set(cases.map((c) => c.vendor))].sort()).toEqual([...vendorNames].sort());
  });

  it.each(cases)('$vendor $upstream: listed durations pass, others are refused', async (c) => {
    const listed = await h.http('GET', `/v1/models/${c.model}`, { token: key });
    expect(listed.status).toBe(200);
    const { durations, images } = listed.body.reelay;
    expect(durations, 'a table lists durations').not.toBeNull();
    const image = images.required ? { image: pngDataUrl } : {};

    const accepted = await h.submit(key, {
      model: c.model,
      prompt: 'a cat',
      duration: durations[0],
      ...image,
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);

    const unlisted = [37, 3, 1].find((seconds) => !durations.includes(seconds))!;
    const refused = await h.submit(key, { model: c.model, prompt: 'a cat', duration: unlisted, ...image });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body.param).toBe('duration');

    if (images.required) {
      const textOnly = await h.submit(key, { model: c.model, prompt: 'a cat', duration: durations[0] });
      expect(textOnly.status, JSON.stringify(textOnly.body)).toBe(400);
      expect(textOnly.body.param).toBe('image');
    }
  });
});
