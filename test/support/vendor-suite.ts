/**
 * The end-to-end checks every vendor added on the simulators passes through the gateway (the seed surface, the
 * openai SDK, refusals, faults, callbacks, prices), on SQLite and PostgreSQL. Each vendor's gateway.test.ts gives
 * its own requests and words; the checks are the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDownloadableMp4 } from './media.js';
import { Harness, testDatabases } from './harness.js';
import { bytesOf, openaiClient, waitForVideo } from './openai.js';
import type { SimTask } from '../../src/simulator/world.js';

type Request = Record<string, unknown>;

export interface VendorSuite {
  vendor: string;
  /** A model for requests that are about something else. */
  model: string;
  textToVideo: { request: Request; sent: Request; metadata: Request };
  /** `metadata`, when given: what the answer reports of a video that follows its image (the vendor's own report). */
  imageToVideo: { request: Request; sent: Request; metadata?: Request };
  /** A /v1/videos request through the openai SDK. */
  openai: { model: string; seconds: string; size: string };
  /** Requests refused with a 400 naming `param`, before any call to the vendor (one per per-model rule). */
  refusals: [what: string, request: Request, param: string][];
  /** The vendor's words in the reasons Reelay passes on. */
  words: { contentSafety: RegExp; unauthorised: RegExp; arrears: RegExp };
  /** Credentials of an account the vendor knows but refuses for arrears or balance. */
  arrearsCredentials: Record<string, unknown>;
  /** A task the vendor fails while generating, for content safety: the fault's reason. */
  contentFailure: string;
  /** Vendors that call back: the task ends on the vendor's callback, with polls too rare to end it. */
  callsBack: boolean;
  /** A request and its cost at 100,000 micro-units a second, 1.5x at 1080p. */
  priced: { request: Request; cost: number };
}

/** Polls so rare that only a callback can finish a task within a test. */
const slowPolling = { POLL_INITIAL_DELAY_MS: 60_000, POLL_MAX_DELAY_MS: 60_000 };

export function describeThroughGateway(suite: VendorSuite) {
  const { vendor } = suite;

  describe.each(testDatabases())(`${vendor} through the gateway on %s`, (database) => {
    let h: Harness;
    let key: string;

    beforeAll(async () => {
      // A short task timeout, for the task that never ends; the simulated tasks take 300 ms.
      h = await Harness.start({ database, config: { TASK_TIMEOUT_MINUTES: 0.05 } });
      await h.channel(vendor);
      key = (await h.user()).key;
    });
    afterAll(() => h.close());

    const vendorTasks = (): SimTask[] => [...h.sim.world.tasks.values()].filter((t) => t.vendor === vendor);
    /** The body the simulator received for the latest task. */
    const lastSent = () => vendorTasks().at(-1)!.request.body as Request;
    const submits = () => h.sim.world.requests(vendor, 'submit');

    /** A model name served only by this test's channels, mapped to the suite's model. */
    async function channelsFor(alias: string, specs: Request[]): Promise<string[]> {
      const ids: string[] = [];
      for (const spec of specs)
        ids.push(
          await h.channel(vendor, { models: [alias], model_mapping: { [alias]: suite.model }, ...spec }),
        );
      return ids;
    }

    it('takes a text-to-video request to succeeded with a downloadable MP4 and what the vendor produced', async () => {
      const submitted = await h.submit(key, suite.textToVideo.request);
      expect(submitted.status).toBe(200);
      expect(lastSent()).toMatchObject(suite.textToVideo.sent);
      const done = await h.waitForEnd(key, submitted.body.task_id);
      expect(done.body).toMatchObject({ status: 'succeeded', format: 'mp4', error: null });
      expect(done.body.metadata).toMatchObject(suite.textToVideo.metadata);
      await expectDownloadableMp4(done.body.url);
    });

    it('takes an image-to-video request to succeeded with a downloadable MP4', async () => {
      const submitted = await h.submit(key, suite.imageToVideo.request);
      expect(submitted.status).toBe(200);
      expect(lastSent()).toMatchObject(suite.imageToVideo.sent);
      const done = await h.waitForEnd(key, submitted.body.task_id);
      expect(done.body.status).toBe('succeeded');
      if (suite.imageToVideo.metadata) expect(done.body.metadata).toMatchObject(suite.imageToVideo.metadata);
      await expectDownloadableMp4(done.body.url);
    });

    it('makes a video through /v1/videos with the official openai SDK', async () => {
      const client = openaiClient(h.url + '/v1', key);
      const created = await client.videos.create({
        model: suite.openai.model as never,
        prompt: 'a lighthouse at dusk',
        seconds: suite.openai.seconds as never,
        size: suite.openai.size as never,
      });
      const done = await waitForVideo(client, created.id, h);
      expect(done).toMatchObject({ status: 'completed', error: null });
      const content = await client.videos.downloadContent(created.id);
      expect(content.headers.get('content-type')).toBe('video/mp4');
      expect((await bytesOf(content)).subarray(4, 8).toString('ascii')).toBe('ftyp');
    });

    it('makes n videos as n vendor tasks, each downloadable', async () => {
      const before = submits();
      const submitted = await h.submit(key, { model: suite.model, prompt: 'two cats', n: 2 });
      expect(submits() - before).toBe(2);
      const done = await h.waitForEnd(key, submitted.body.task_id);
      expect(done.body.videos.map((v: { status: string }) => v.status)).toEqual(['succeeded', 'succeeded']);
      for (const video of done.body.videos as { url: string }[]) await expectDownloadableMp4(video.url);
    });

    it.each(suite.refusals)(
      'refuses %s with a 400 naming the field, before calling the vendor',
      async (_, request, param) => {
        const before = submits();
        const res = await h.submit(key, request);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ param, type: 'invalid_request_error' });
        expect(submits()).toBe(before);
      },
    );

    it('keeps polling through rate limits and server errors, and the task still succeeds', async () => {
      h.sim.world.inject(vendor, 'poll', { type: 'rate_limit' }, 2);
      h.sim.world.inject(vendor, 'poll', { type: 'http_error', status: 502 });
      const polls = h.sim.world.requests(vendor, 'poll');
      const submitted = await h.submit(key, { model: suite.model, prompt: 'a cat' });
      expect((await h.waitForEnd(key, submitted.body.task_id)).body.status).toBe('succeeded');
      expect(h.sim.world.requests(vendor, 'poll') - polls).toBeGreaterThanOrEqual(4);
    });

    it('moves a rate-limited or failing submit on to the next channel, and answers 503 when none is left', async () => {
      await channelsFor(`${vendor}-failover`, [{ priority: 10 }, { priority: 0 }]);
      h.sim.world.inject(vendor, 'submit', { type: 'rate_limit' });
      const before = submits();
      const submitted = await h.submit(key, { model: `${vendor}-failover`, prompt: 'a cat' });
      expect(submitted.status).toBe(200);
      expect(submits() - before).toBe(2);
      expect((await h.waitForEnd(key, submitted.body.task_id)).body.status).toBe('succeeded');

      h.sim.world.inject(vendor, 'submit', { type: 'http_error', status: 500 }, 2);
      expect((await h.submit(key, { model: `${vendor}-failover`, prompt: 'a cat' })).status).toBe(503);
    });

    it("gives the client the vendor's content-safety refusal as a 400, without trying another channel", async () => {
      await channelsFor(`${vendor}-safety`, [{ priority: 10 }, { priority: 0 }]);
      h.sim.world.inject(vendor, 'submit', { type: 'content_safety' });
      const before = submits();
      const res = await h.submit(key, { model: `${vendor}-safety`, prompt: 'something unsafe' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'content_policy_violation', type: 'invalid_request_error' });
      expect(res.body.message).toMatch(suite.words.contentSafety);
      expect(submits() - before).toBe(1);
    });

    it.each([
      ['whose API key the vendor refuses', { api_key: 'revoked-key-123' }, 'unauthorised'],
      ['whose account is in arrears', suite.arrearsCredentials, 'arrears'],
    ] as const)('disables a channel %s, with the reason, and answers 502', async (_, credentials, word) => {
      const [channelId] = await channelsFor(`${vendor}-broken-${word}`, [{ credentials }]);
      const res = await h.submit(key, { model: `${vendor}-broken-${word}`, prompt: 'a cat' });
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ code: 'upstream_account_error', type: 'upstream_error' });
      expect(JSON.stringify(res.body)).not.toContain('revoked-key-123');
      const channel = await h.admin('GET', `/channels/${channelId}`);
      expect(channel.body.enabled).toBe(false);
      expect(channel.body.disabled_reason).toMatch(suite.words[word]);
    });

    it("fails a task the vendor fails for content safety, with the vendor's reason", async () => {
      h.sim.world.inject(vendor, 'submit', { type: 'task_fails', reason: suite.contentFailure });
      const submitted = await h.submit(key, { model: suite.model, prompt: 'a cat' });
      const done = await h.waitForEnd(key, submitted.body.task_id);
      expect(done.body).toMatchObject({ status: 'failed', url: null });
      expect(done.body.error).toEqual({ code: 'content_policy_violation', message: expect.any(String) });
    });

    it('fails a task the vendor never finishes after the timeout, with a clear reason', async () => {
      h.sim.world.inject(vendor, 'submit', { type: 'task_never_ends' });
      const submitted = await h.submit(key, { model: suite.model, prompt: 'forever' });
      const done = await h.waitForEnd(key, submitted.body.task_id);
      expect(done.body).toMatchObject({ status: 'failed', url: null });
      expect(done.body.error).toEqual({ code: 'timeout', message: expect.stringMatching(/did not finish/) });
    });

    it("checks a channel's credentials with one status query, and tells a refused key", async () => {
      const [good, bad] = await channelsFor(`${vendor}-checked`, [
        {},
        { credentials: { api_key: 'revoked-key-123' } },
      ]);
      expect((await h.admin('POST', `/channels/${good}/test`)).body).toMatchObject({ ok: true });
      const refused = await h.admin('POST', `/channels/${bad}/test`);
      expect(refused.body.ok).toBe(false);
      expect(refused.body.message).toMatch(suite.words.unauthorised);
    });

    it('charges per second of video at the price of its resolution', async () => {
      const alias = `${vendor}-priced`;
      await h.price(alias, { unit: 'second', price: 100_000, resolution_multipliers: { '1080p': 1.5 } });
      await channelsFor(alias, [{}]);
      const { userId, key: payer } = await h.user();
      await h.topUp(userId, 10_000_000);
      const submitted = await h.submit(payer, { ...suite.priced.request, model: alias });
      expect(submitted.status).toBe(200);
      const done = await h.waitForEnd(payer, submitted.body.task_id);
      expect(done.body.status).toBe('succeeded');
      expect(done.body.cost).toEqual({ state: 'charged', amount: suite.priced.cost });
    });
  });

  if (!suite.callsBack) return;
  describe.each(testDatabases())(`${vendor} calling back through the gateway on %s`, (database) => {
    let h: Harness;
    let key: string;

    beforeAll(async () => {
      h = await Harness.start({ database, publicUrl: true, config: slowPolling });
      await h.channel(vendor);
      key = (await h.user()).key;
    });
    afterAll(() => h.close());

    it("finishes a task on the vendor's callback, long before the next poll would", async () => {
      const submitted = await h.submit(key, { model: suite.model, prompt: 'quick news' });
      const task = [...h.sim.world.tasks.values()].filter((t) => t.vendor === vendor).at(-1)!;
      expect((task.request.body as Request).callback_url).toMatch(
        new RegExp(`^${h.url}/v1/vendor-callbacks/`),
      );
      const done = await h.waitForEnd(key, submitted.body.task_id, 10_000);
      expect(done.body.status).toBe('succeeded');
      expect(h.sim.world.requests(vendor, 'callback')).toBeGreaterThanOrEqual(2);
    });
  });
}
