import { afterEach, describe, expect, it } from 'vitest';
import { Harness, testDatabases, type HarnessOptions } from '../../test/support/harness.js';
import { startSimulator, type RunningSimulator } from '../simulator/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDatabases())('reliability on %s', (database) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of cleanup.reverse()) await close();
    cleanup.length = 0;
  });

  async function start(options: HarnessOptions = {}) {
    const h = await Harness.start({ database, ...options });
    cleanup.push(() => h.close());
    return h;
  }

  async function secondSimulator(): Promise<RunningSimulator> {
    const sim = await startSimulator({ taskDurationMs: 300 });
    cleanup.push(() => sim.close());
    return sim;
  }

  describe('Idempotency-Key', () => {
    it('returns the same task for the same key and body, with one upstream job and one charge', async () => {
      const h = await start();
      await h.price('kling-v1-6', { unit: 'call', price: 1_000 });
      await h.channel('kling');
      const { userId, key } = await h.user();
      await h.topUp(userId, 10_000);
      const body = { model: 'kling-v1-6', prompt: 'once only', metadata: { negative_prompt: 'x' } };
      const headers = { 'idempotency-key': 'order-42' };
      const first = await h.http('POST', '/v1/video/generations', { token: key, body, headers });
      // Same request, fields in another order: still the same request.
      const reordered = { metadata: { negative_prompt: 'x' }, prompt: 'once only', model: 'kling-v1-6' };
      const second = await h.http('POST', '/v1/video/generations', { token: key, body: reordered, headers });
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(second.body.task_id).toBe(first.body.task_id);
      expect(h.sim.world.requests('kling', 'submit')).toBe(1);
      expect((await h.admin('GET', `/users/${userId}`)).body.balance).toBe(9_000);

      const other = await h.http('POST', '/v1/video/generations', {
        token: key,
        body: { ...body, prompt: 'another' },
        headers,
      });
      expect(other.status).toBe(409);
      expect(other.body).toMatchObject({
        type: 'conflict_error',
        code: 'idempotency_key_reused',
        param: 'Idempotency-Key',
      });
    });

    it('starts one task for many simultaneous requests with the same key', async () => {
      const h = await start();
      await h.channel('kling');
      const { key } = await h.user();
      const body = { model: 'kling-v1', prompt: 'racing twins' };
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          h.http('POST', '/v1/video/generations', {
            token: key,
            body,
            headers: { 'idempotency-key': 'twins' },
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
      expect(new Set(answers.map((a) => a.body.task_id)).size).toBe(1);
      expect(h.sim.world.requests('kling', 'submit')).toBe(1);
    });

    it('frees the key when the request was not accepted, so a retry can succeed', async () => {
      const h = await start();
      await h.channel('kling');
      const { key } = await h.user();
      const send = () =>
        h.http('POST', '/v1/video/generations', {
          token: key,
          body: { model: 'kling-v1', prompt: 'retry me' },
          headers: { 'idempotency-key': 'retry-1' },
        });
      h.sim.world.inject('kling', 'submit', { type: 'http_error', status: 503 });
      expect((await send()).status).toBe(503);
      expect((await send()).status).toBe(200);
    });

    it('works on /v1/videos too, and refuses a malformed key', async () => {
      const h = await start();
      await h.channel('kling');
      const { key } = await h.user();
      const body = { model: 'kling-v1', prompt: 'openai twin', seconds: '5' };
      const headers = { 'idempotency-key': 'v-1' };
      const a = await h.http('POST', '/v1/videos', { token: key, body, headers });
      const b = await h.http('POST', '/v1/videos', { token: key, body, headers });
      expect(a.status).toBe(200);
      expect(b.body.id).toBe(a.body.id);
      const bad = await h.http('POST', '/v1/video/generations', {
        token: key,
        body,
        headers: { 'idempotency-key': 'x'.repeat(300) },
      });
      expect(bad.status).toBe(400);
    });
  });

  it('opens a failing channel’s circuit, steers submits away from it, then closes it after a good probe', async () => {
    const h = await start({ config: { CIRCUIT_FAILURE_THRESHOLD: 3, CIRCUIT_OPEN_MS: 400 } });
    const flaky = await secondSimulator();
    const flakyId = await h.channel('kling', { priority: 10, base_url: flaky.baseUrl('kling') });
    await h.channel('kling', { priority: 1 });
    const { key } = await h.user();
    flaky.world.inject('kling', 'submit', { type: 'http_error', status: 500 }, 3);
    for (let i = 0; i < 3; i++)
      expect((await h.submit(key, { model: 'kling-v1', prompt: `p${i}` })).status).toBe(200);
    expect(flaky.world.requests('kling', 'submit')).toBe(3);

    const open = await h.admin('GET', `/channels/${flakyId}`);
    expect(open.body.health).toMatchObject({ state: 'open', consecutive_failures: 3 });
    expect(open.body.health.last_error).toMatch(/5000|HTTP 500/);
    expect((await h.submit(key, { model: 'kling-v1', prompt: 'avoids the open circuit' })).status).toBe(200);
    expect(flaky.world.requests('kling', 'submit')).toBe(3);

    await sleep(450);
    expect((await h.admin('GET', `/channels/${flakyId}`)).body.health.state).toBe('half_open');
    expect((await h.submit(key, { model: 'kling-v1', prompt: 'the probe' })).status).toBe(200);
    expect(flaky.world.requests('kling', 'submit')).toBe(4);
    expect((await h.admin('GET', `/channels/${flakyId}`)).body.health.state).toBe('closed');
  });

  it('queues submits beyond a channel’s concurrency limit and answers 429 beyond its queue', async () => {
    const h = await start({ config: { CHANNEL_QUEUE_LIMIT: 1 } });
    const channelId = await h.channel('kling');
    expect(
      (await h.admin('PATCH', `/channels/${channelId}`, { max_concurrency: 1 })).body.max_concurrency,
    ).toBe(1);
    const { key } = await h.user();
    h.sim.world.inject('kling', 'submit', { type: 'slow', delayMs: 300 }, 3);
    const answers = await Promise.all(
      [1, 2, 3].map((i) => h.submit(key, { model: 'kling-v1', prompt: `wave ${i}` })),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 429]);
    expect(answers.find((a) => a.status === 429)!.body).toMatchObject({
      type: 'rate_limit_error',
      code: 'channel_busy',
    });
    expect(h.sim.world.requests('kling', 'submit')).toBe(2);
  });

  it.each([
    ['a 500', { type: 'http_error', status: 500 }],
    ['a 429', { type: 'rate_limit' }],
    ['garbage instead of JSON', { type: 'garbage' }],
    ['a dropped connection', { type: 'reset' }],
    ['a slow answer within the timeout', { type: 'slow', delayMs: 150 }],
  ] as const)(
    'gets a job started through %s at submit, with exactly one upstream task',
    async (_name, fault) => {
      const h = await start();
      await h.channel('kling', { priority: 10 });
      await h.channel('kling', { priority: 1 });
      const { key } = await h.user();
      const tasksBefore = h.sim.world.tasks.size;
      h.sim.world.inject('kling', 'submit', fault);
      const res = await h.submit(key, { model: 'kling-v1', prompt: 'through trouble' });
      expect(res.status).toBe(200);
      expect(h.sim.world.tasks.size - tasksBefore).toBe(1);
      expect((await h.waitForEnd(key, res.body.task_id)).body.status).toBe('succeeded');
    },
  );

  it("rests a channel after its vendor's 429, sending new jobs to the next channel meanwhile", async () => {
    const h = await start();
    const first = await h.channel('kling', { priority: 10 });
    const second = await h.channel('kling', { priority: 1 });
    const { key } = await h.user();
    h.sim.world.inject('kling', 'submit', { type: 'rate_limit' });
    expect((await h.submit(key, { model: 'kling-v1', prompt: 'hits the limit' })).status).toBe(200);
    expect((await h.admin('GET', `/channels/${first}`)).body.resting_until).toBeGreaterThanOrEqual(
      Math.floor(Date.now() / 1000),
    );
    const next = await h.submit(key, { model: 'kling-v1', prompt: 'goes elsewhere' });
    const job = await h.gateway.deps.database.db
      .selectFrom('task_jobs')
      .select('channel_id')
      .where('task_id', '=', next.body.task_id)
      .executeTakeFirstOrThrow();
    expect(job.channel_id).toBe(second);
  });

  it('adopts a job whose submit timed out after reaching the vendor, instead of starting it twice', async () => {
    const h = await start({ config: { VENDOR_TIMEOUT_MS: 250 } });
    await h.channel('kling', { priority: 10 });
    await h.channel('kling', { priority: 1 });
    const { key } = await h.user();
    const tasksBefore = h.sim.world.tasks.size;
    // The vendor creates the task at once but answers after our timeout.
    h.sim.world.inject('kling', 'submit', { type: 'slow', delayMs: 600 });
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'slow vendor' });
    expect(res.status).toBe(200);
    expect(h.sim.world.tasks.size - tasksBefore).toBe(1);
    expect(h.sim.world.requests('kling', 'submit')).toBe(1);
    expect((await h.waitForEnd(key, res.body.task_id)).body.status).toBe('succeeded');
  });

  it('hands claimed jobs back when it stops, instead of holding them until their lease ends', async () => {
    const h = await start({
      simulator: { taskDurationMs: 60_000 },
      config: { POLL_CHANNEL_CONCURRENCY: 1 },
      pollerOff: true,
    });
    await h.channel('kling');
    const { key } = await h.user();
    for (let i = 0; i < 3; i++) await h.submit(key, { model: 'kling-v1', prompt: `held ${i}` });
    h.sim.world.inject('kling', 'poll', { type: 'slow', delayMs: 300 }, 3);
    await sleep(60); // let the first polls come due
    expect(await h.gateway.poller.tick()).toBe(3);
    // One slot: stop while the first poll is with the vendor and the other two wait their turn.
    while (h.sim.world.requests('kling', 'poll') === 0) await sleep(5);
    await h.gateway.poller.stop();
    const jobs = await h.gateway.deps.database.db
      .selectFrom('task_jobs')
      .select(['lease_token', 'next_poll_at'])
      .execute();
    expect(jobs).toHaveLength(3);
    expect(jobs.every((j) => j.lease_token === null)).toBe(true);
    // Polled once (the one in flight); the other two were handed back untouched.
    expect(h.sim.world.requests('kling', 'poll')).toBe(1);
    expect(jobs.every((j) => j.next_poll_at < Date.now() + 60_000)).toBe(true);
  });
});
