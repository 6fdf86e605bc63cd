/**
 * Veo (Gemini API), Vertex AI Veo, Runway and Luma end to end: a client on the generations surface and on
 * /v1/videos (the official openai SDK), the real gateway, each vendor's simulator over HTTP.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from './support/harness.js';
import { expectDownloadableMp4, expectVideoAsReported } from './support/media.js';
import { bytesOf, openaiClient, waitForVideo } from './support/openai.js';
import { addWestChannels, aliasOf, westRequests, westVendors, type WestVendor } from './support/west.js';
import { adapterFor } from '../src/vendors/registry.js';
import { simulators } from '../src/simulator/registry.js';
import { vertexAccount } from '../src/simulator/vertex.js';
import { generateKeyPairSync } from 'node:crypto';

/** Credentials each vendor refuses: a wrong key, or (Vertex) a service account signed with a key Google does not know. */
function refusedCredentials(vendor: WestVendor, baseUrl: string): Record<string, unknown> {
  if (vendor !== 'vertex') return { api_key: `revoked-${vendor}-key-123456` };
  return vertexAccount(baseUrl, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
}

/** A failure each simulator is told to produce, and what the client is told. */
const taskFailures = {
  veo: { reason: 'rai_filtered', code: 'content_policy_violation', message: 'Veo filtered the video out' },
  vertex: {
    reason: 'Internal error during generation',
    code: 'generation_failed',
    message: 'Internal error during generation',
  },
  runway: {
    reason: 'INTERNAL.BAD_OUTPUT.CODE01',
    code: 'generation_failed',
    message: 'INTERNAL.BAD_OUTPUT.CODE01',
  },
  luma: {
    reason: 'Prompt moderation failed',
    code: 'content_policy_violation',
    message: 'Prompt moderation failed',
  },
} as const;

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
    await addWestChannels(h);
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
      expectVideoAsReported(await bytesOf(content), done);
    });
  });

  /** A channel of its own for one test, serving `alias` as the vendor's text model. */
  async function soloChannel(vendor: WestVendor, alias: string, spec: Record<string, unknown> = {}) {
    return h.channel(vendor, {
      models: [alias],
      model_mapping: { [alias]: westRequests[vendor].text.model },
      ...spec,
    });
  }
  const textWith = (vendor: WestVendor, model: string) => ({ ...westRequests[vendor].text, model });

  describe.each(westVendors)('%s errors', (vendor) => {
    it('keeps polling through rate limits and server errors, and the task still succeeds', async () => {
      h.sim.world.inject(vendor, 'poll', { type: 'rate_limit' }, 2);
      h.sim.world.inject(vendor, 'poll', { type: 'http_error', status: 503 });
      const polls = h.sim.world.requests(vendor, 'poll');
      const submitted = await h.submit(key, requestFor(vendor, 'text'));
      expect((await h.waitForEnd(key, submitted.body.task_id)).body.status).toBe('succeeded');
      expect(h.sim.world.requests(vendor, 'poll') - polls).toBeGreaterThanOrEqual(4);
    });

    it('moves a rate-limited or failing submit on to the next channel', async () => {
      const alias = `${vendor}-failover`;
      await soloChannel(vendor, alias, { priority: 10 });
      await soloChannel(vendor, alias, { priority: 0 });
      h.sim.world.inject(vendor, 'submit', { type: 'rate_limit' });
      const before = h.sim.world.requests(vendor, 'submit');
      const submitted = await h.submit(key, textWith(vendor, alias));
      expect(submitted.status).toBe(200);
      expect(h.sim.world.requests(vendor, 'submit') - before).toBe(2);
      expect((await h.waitForEnd(key, submitted.body.task_id)).body.status).toBe('succeeded');

      h.sim.world.inject(vendor, 'submit', { type: 'http_error', status: 500 }, 2);
      expect((await h.submit(key, textWith(vendor, alias))).status).toBe(503);
    });

    it('disables a channel whose credentials the vendor refuses, answering 502 without leaking them', async () => {
      const alias = `${vendor}-badkey`;
      const credentials = refusedCredentials(vendor, h.sim.baseUrl(vendor));
      const channelId = await soloChannel(vendor, alias, { credentials });
      const res = await h.submit(key, textWith(vendor, alias));
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ code: 'upstream_account_error', type: 'upstream_error' });
      for (const secret of secretsOf(credentials)) expect(JSON.stringify(res.body)).not.toContain(secret);
      const channel = await h.admin('GET', `/channels/${channelId}`);
      expect(channel.body.enabled).toBe(false);
      expect(channel.body.disabled_reason).toBeTruthy();
      // Vertex: the token endpoint's refusal is the reason, and no call went to Vertex without a token.
      if (vendor === 'vertex')
        expect(channel.body.disabled_reason).toContain("Google's token endpoint refused the service account");
      expect((await h.submit(key, textWith(vendor, alias))).status).toBe(503);
    });

    it("fails a task the vendor fails, with the vendor's reason", async () => {
      const { reason, code, message } = taskFailures[vendor];
      h.sim.world.inject(vendor, 'submit', { type: 'task_fails', reason });
      const submitted = await h.submit(key, requestFor(vendor, 'text'));
      const done = await h.waitForEnd(key, submitted.body.task_id);
      expect(done.body).toMatchObject({ status: 'failed', url: null });
      expect(done.body.error).toEqual({ code, message: expect.stringContaining(message) });
    });
  });

  describe.each(['veo', 'vertex', 'luma'] as const)('%s content safety', (vendor) => {
    it("gives the client the vendor's content-safety refusal as a 400, without trying another channel", async () => {
      const alias = `${vendor}-safety`;
      await soloChannel(vendor, alias, { priority: 10 });
      await soloChannel(vendor, alias, { priority: 0 });
      h.sim.world.inject(vendor, 'submit', { type: 'content_safety' });
      const before = h.sim.world.requests(vendor, 'submit');
      const res = await h.submit(key, textWith(vendor, alias));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'content_policy_violation', type: 'invalid_request_error' });
      expect(h.sim.world.requests(vendor, 'submit') - before).toBe(1);
    });
  });

  it('fails a Runway task its moderation stops after accepting it (SAFETY.INPUT.*), as a content-policy failure', async () => {
    h.sim.world.inject('runway', 'submit', { type: 'content_safety' });
    const submitted = await h.submit(key, requestFor('runway', 'text'));
    expect(submitted.status).toBe(200);
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.error).toEqual({
      code: 'content_policy_violation',
      message: expect.stringContaining('SAFETY.INPUT.TEXT'),
    });
  });

  it('states the same models in each adapter and in its simulator (written apart from each other)', () => {
    for (const vendor of westVendors) {
      const simulator = simulators.find((s) => s.vendor === vendor)!;
      expect([...adapterFor(vendor)!.models].sort()).toEqual([...simulator.models].sort());
    }
  });
});
