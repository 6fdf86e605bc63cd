/**
 * Veo (Gemini API), Vertex AI Veo, Runway and Luma end to end: a client on the generations surface and on
 * /v1/videos (the official openai SDK), the real gateway, each vendor's simulator over HTTP.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from './support/harness.js';
import { expectDownloadableMp4 } from './support/media.js';
import { bytesOf, openaiClient, waitForVideo } from './support/openai.js';
import { westRequests, westVendors, type WestVendor } from './support/west.js';
import { adapterFor } from '../src/vendors/registry.js';
import { simulators } from '../src/simulator/registry.js';
import { sampleVideo } from '../src/simulator/server.js';

const aliasOf = (vendor: string, model: string) => `${vendor}-${model}`;

/** Every secret a vendor account holds, which no client-facing URL may carry. */
function secretsOf(credentials: Record<string, unknown>): string[] {
  return JSON.stringify(credentials)
    .match(/"(?:api_key|private_key)":"([^"]+)"/g)!
    .map((pair) => pair.split('":"')[1]!.slice(0, 24));
}

describe.each(testDatabases())('Veo, Vertex, Runway and Luma through the gateway on %s', (database) => {
  let h: Harness;
  let key: string;
  let client: OpenAI;

  beforeAll(async () => {
    h = await Harness.start({ database });
    // Veo and Vertex serve the same model names: each channel gets its own aliases, so a test reaches its vendor.
    for (const vendor of westVendors) {
      const models = adapterFor(vendor)!.models;
      await h.channel(vendor, {
        models: models.map((m) => aliasOf(vendor, m)),
        model_mapping: Object.fromEntries(models.map((m) => [aliasOf(vendor, m), m])),
      });
    }
    key = (await h.user()).key;
    client = openaiClient(h.url + '/v1', key);
  });
  afterAll(() => h.close());

  /** The vendor's request, its model named by the vendor's alias. */
  const requestFor = (vendor: WestVendor, kind: 'text' | 'image') => {
    const request = westRequests[vendor][kind];
    return { ...request, model: aliasOf(vendor, request.model) };
  };

  const secrets = (vendor: string) =>
    secretsOf(simulators.find((s) => s.vendor === vendor)!.account(h.sim.baseUrl(vendor)));

  describe.each(westVendors)('%s', (vendor) => {
    it.each(['text', 'image'] as const)(
      'takes a %s-to-video request to succeeded with an MP4 served by Reelay, no vendor key in its URL',
      async (kind) => {
        const submitted = await h.submit(key, requestFor(vendor, kind));
        expect(submitted.status).toBe(200);
        const done = await h.waitForEnd(key, submitted.body.task_id);
        expect(done.body).toMatchObject({ status: 'succeeded', format: 'mp4', error: null });
        const url: string = done.body.url;
        expect(url.startsWith(h.url)).toBe(true);
        for (const secret of secrets(vendor)) expect(url).not.toContain(secret);
        expect(url).not.toContain(h.sim.url);
        await expectDownloadableMp4(url);
        // Veo's and Vertex's videos are served only to the account: Reelay fetched them signed.
        if (vendor === 'veo' || vendor === 'vertex')
          expect(h.sim.world.requests(vendor, 'content')).toBeGreaterThan(0);
      },
    );

    it('makes a video through /v1/videos with the official openai SDK', async () => {
      const { model, prompt } = requestFor(vendor, 'text');
      const created = await client.videos.create({ model, prompt } as OpenAI.Videos.VideoCreateParams);
      expect(created).toMatchObject({ object: 'video', model, status: 'queued' });
      const done = await waitForVideo(client, created.id, h);
      expect(done).toMatchObject({ status: 'completed', error: null });
      const content = await client.videos.downloadContent(created.id);
      expect(content.headers.get('content-type')).toBe('video/mp4');
      expect(await bytesOf(content)).toEqual(sampleVideo);
    });
  });

  it('states the same models in each adapter and in its simulator (written apart from each other)', () => {
    for (const vendor of westVendors) {
      const simulator = simulators.find((s) => s.vendor === vendor)!;
      expect([...adapterFor(vendor)!.models].sort()).toEqual([...simulator.models].sort());
    }
  });
});
