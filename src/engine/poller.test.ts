import { afterEach, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';
import { klingAdapter } from '../vendors/kling/adapter.js';
import { jobFor } from './job-submit.js';
import type { JobRunner } from './job-runner.js';
import { parseGenerationsRequest } from '../http/generations/request.js';
import { submitTask, type Caller } from '../tasks/submit.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(testDatabases())('poller on %s', (database) => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses.reverse()) await h.close();
    harnesses.length = 0;
  });

  async function start(options: Parameters<typeof Harness.start>[0] = {}) {
    const h = await Harness.start({ database, ...options });
    harnesses.push(h);
    return h;
  }

  it('polls a long task with growing gaps, not on every tick', async () => {
    const h = await start({
      simulator: { taskDurationMs: 1500 },
      config: { POLL_INITIAL_DELAY_MS: 50, POLL_BACKOFF_FACTOR: 2, POLL_MAX_DELAY_MS: 400, POLL_TICK_MS: 10 },
    });
    await h.channel('kling');
    const { key } = await h.user();
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'slow' });
    expect((await h.waitForEnd(key, res.body.task_id)).body.status).toBe('succeeded');
    // Backoff 50, 100, 200, 400, 400, … reaches 1.5 s in about 6 polls; a poll per 10 ms tick would be ~150.
    const polls = h.sim.world.requests('kling', 'poll');
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(polls).toBeLessThanOrEqual(9);
  });

  it('waits, once 20 jobs of a model have ended, for the fastest end seen before polling a new one', async () => {
    const h = await start({ simulator: { taskDurationMs: 400 } });
    await h.channel('kling');
    const { key } = await h.user();
    const body = { model: 'kling-v1', prompt: 'learn', n: 4 };
    const first = await Promise.all(Array.from({ length: 5 }, () => h.submit(key, body)));
    for (const res of first)
      expect((await h.waitForEnd(key, res.body.task_id)).body.status).toBe('succeeded');
    const pollsBefore = h.sim.world.requests('kling', 'poll');

    const next = await h.submit(key, { model: 'kling-v1', prompt: 'after learning' });
    expect(next.body).toMatchObject({ status: 'processing' });
    const job = await h.gateway.deps.database.db
      .selectFrom('task_jobs')
      .selectAll()
      .where('task_id', '=', next.body.task_id)
      .executeTakeFirstOrThrow();
    // Every job took at least 400 ms: the first poll waits 0.8 × that, not POLL_INITIAL_DELAY_MS (40 ms here).
    expect(job.next_poll_at - job.created_at).toBeGreaterThanOrEqual(0.8 * 400);
    expect((await h.waitForEnd(key, next.body.task_id)).body.status).toBe('succeeded');
    // Without it: polls at 40, 100, 190, 325 and 475 ms; with it, one or two.
    expect(h.sim.world.requests('kling', 'poll') - pollsBefore).toBeLessThanOrEqual(3);
  });

  it('fails a task that never ends after the timeout, with a clear reason', async () => {
    const h = await start({ simulator: { taskDurationMs: 60_000 }, config: { TASK_TIMEOUT_MINUTES: 0.005 } });
    await h.channel('kling');
    const { key } = await h.user();
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'forever' });
    const done = await h.waitForEnd(key, res.body.task_id);
    expect(done.body.status).toBe('failed');
    expect(done.body.error).toEqual({ code: 'timeout', message: expect.stringMatching(/did not finish/) });
    expect(done.body.url).toBeNull();
  });

  it('keeps a task alive through 500s, 429s, garbage and dropped connections while polling', async () => {
    const h = await start({ simulator: { taskDurationMs: 200 } });
    await h.channel('kling');
    const { key } = await h.user();
    const world = h.sim.world;
    world.inject('kling', 'poll', { type: 'http_error', status: 500 }, 2);
    world.inject('kling', 'poll', { type: 'rate_limit' });
    world.inject('kling', 'poll', { type: 'garbage' });
    world.inject('kling', 'poll', { type: 'reset' });
    world.inject('kling', 'poll', { type: 'auth_error' });
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'bumpy ride' });
    const done = await h.waitForEnd(key, res.body.task_id);
    expect(done.body.status).toBe('succeeded');
    expect(world.faults).toHaveLength(0);
  });

  it('works through more due tasks than one batch without waiting a tick per batch', async () => {
    // A tick of a minute: if each batch had to wait for the next tick, these tasks would still be running.
    const h = await start({
      pollerOff: true,
      simulator: { taskDurationMs: 1 },
      config: { POLL_BATCH_SIZE: 4, POLL_TICK_MS: 60_000, POLL_INITIAL_DELAY_MS: 0 },
    });
    await h.channel('kling');
    const { key } = await h.user();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push((await h.submit(key, { model: 'kling-v1', prompt: `t${i}` })).body.task_id);
    h.gateway.poller.start();
    for (const id of ids) expect((await h.waitForEnd(key, id)).body.status).toBe('succeeded');
  });

  it('at capacity, a vendor callback puts its job in the priority lane instead of polling past the limit', async () => {
    const h = await start({
      pollerOff: true,
      simulator: { taskDurationMs: 1 },
      config: { POLL_BATCH_SIZE: 1, POLL_INITIAL_DELAY_MS: 60_000 },
    });
    await h.channel('kling');
    const { key } = await h.user();
    const first = (await h.submit(key, { model: 'kling-v1', prompt: 'first' })).body.task_id;
    const second = (await h.submit(key, { model: 'kling-v1', prompt: 'second' })).body.task_id;
    const jobOf = (taskId: string) =>
      h.gateway.deps.database.db
        .selectFrom('task_jobs')
        .select(['id', 'lease_token', 'next_poll_at'])
        .where('task_id', '=', taskId)
        .executeTakeFirstOrThrow();
    h.sim.world.inject('kling', 'poll', { type: 'slow', delayMs: 300 });
    h.gateway.poller.start();
    // The first callback's poll takes the only slot; the second job is claimed for the next pass, not polled beside it.
    expect(await h.gateway.poller.pollNow((await jobOf(first)).id)).toBe(true);
    expect(await h.gateway.poller.pollNow((await jobOf(second)).id)).toBe(true);
    expect((await jobOf(second)).lease_token).not.toBeNull();
    expect(h.sim.world.requests('kling', 'poll')).toBeLessThanOrEqual(1);
    for (const id of [first, second]) expect((await h.waitForEnd(key, id)).body.status).toBe('succeeded');
    expect(h.sim.world.requests('kling', 'poll')).toBe(2);
  });

  it('keeps a job between polls under one lease, renewed as it goes; another instance takes it when this one stops', async () => {
    // A 2 s lease, polls every 100 ms, a task of 5 s: the lease must be renewed several times over. It is renewed
    // a vendor timeout (1 s) before its end: at 600 ms and 200 ms, a loaded machine's pauses outlasted the slack
    // and a second holder was the machine's doing, not the poller's.
    const config = {
      POLL_INITIAL_DELAY_MS: 50,
      POLL_BACKOFF_FACTOR: 1,
      POLL_MAX_DELAY_MS: 100,
      POLL_TICK_MS: 10,
      POLL_LEASE_MS: 2_000,
      VENDOR_TIMEOUT_MS: 1_000,
    };
    const first = await start({ simulator: { taskDurationMs: 5_000 }, config });
    await first.channel('kling');
    const { key } = await first.user();
    const { task_id: taskId } = (await first.submit(key, { model: 'kling-v1', prompt: 'kept' })).body;
    let reader = first;
    const jobRow = () =>
      reader.gateway.deps.database.db
        .selectFrom('task_jobs')
        .select(['lease_token', 'next_poll_at', 'progress'])
        .where('task_id', '=', taskId)
        .executeTakeFirstOrThrow();
    while ((await jobRow()).lease_token === null) await sleep(5);
    const claimed = await jobRow();
    // A second instance on the same database, polling as eagerly, from now on.
    const second = await start({ reuse: first, config });
    const leases = new Set<string>();
    let leaseEnd = claimed.next_poll_at;
    const pollsBefore = first.sim.world.requests('kling', 'poll');
    while (Date.now() < claimed.next_poll_at + 1_000) {
      const row = await jobRow();
      leases.add(row.lease_token!);
      leaseEnd = Math.max(leaseEnd, row.next_poll_at);
      await sleep(20);
    }
    // One holder throughout, its lease pushed on, polls going on meanwhile; what clients see is kept up to date.
    expect([...leases]).toEqual([claimed.lease_token]);
    expect(leaseEnd).toBeGreaterThan(claimed.next_poll_at + 300);
    expect(first.sim.world.requests('kling', 'poll') - pollsBefore).toBeGreaterThanOrEqual(5);
    expect((await second.query(key, taskId)).body).toMatchObject({ status: 'processing' });
    expect((await jobRow()).progress).toBeGreaterThan(0);

    await first.stopGateway();
    reader = second;
    // Handed back, not held until its lease ends: the second instance has it at once.
    expect((await jobRow()).lease_token).not.toBe(claimed.lease_token);
    expect((await second.waitForEnd(key, taskId)).body.status).toBe('succeeded');
  });

  it("reports the vendor's reason when generation fails", async () => {
    const h = await start();
    await h.channel('kling');
    const { key } = await h.user();
    h.sim.world.inject('kling', 'submit', { type: 'task_fails', reason: 'output did not pass moderation' });
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'x' });
    const done = await h.waitForEnd(key, res.body.task_id);
    expect(done.body).toMatchObject({
      status: 'failed',
      url: null,
      error: { code: 'generation_failed', message: 'output did not pass moderation' },
    });
  });

  /** Submits through core with a runner that dies inside the upstream step, as a killed process would. */
  async function submitAndCrash(h: Harness, beforeDying: (jobId: string) => Promise<void>) {
    await h.channel('kling');
    const user = await h.user();
    const caller: Caller = { userId: user.userId, keyId: user.keyId, models: null };
    const dying = Object.create(h.gateway.runner) as JobRunner;
    dying.submit = async (job) => {
      await beforeDying(job.id);
      throw new Error('process killed');
    };
    const request = parseGenerationsRequest({ model: 'kling-v1', prompt: 'survives a crash' });
    await expect(submitTask(h.gateway.deps, dying, caller, request)).rejects.toThrow('process killed');
    const task = await h.gateway.deps.database.db
      .selectFrom('tasks')
      .select(['id', 'status'])
      .where('user_id', '=', user.userId)
      .executeTakeFirstOrThrow();
    expect(task.status).toBe('processing');
    await h.stopGateway();
    return { key: user.key, taskId: task.id };
  }

  /** Sends the job to Kling as the engine would, and checks that Kling accepted it. */
  async function submitToKling(h: Harness, jobId: string): Promise<void> {
    const channel = (await h.gateway.deps.channels.candidates('kling-v1'))[0]!;
    const prepared = klingAdapter.prepareSubmit(
      jobFor(parseGenerationsRequest({ model: 'kling-v1', prompt: 'x' }), jobId, channel),
    );
    const signed = await klingAdapter.sign(
      prepared.call,
      channel.baseUrl,
      channel.credentials as never,
      h.gateway.deps.wire,
    );
    expect(klingAdapter.readSubmit(await h.gateway.deps.wire.send(signed)).kind).toBe('accepted');
  }

  it('finishes a task saved just before a crash, submitting it after restart', async () => {
    const h = await start({ config: { SUBMIT_LEASE_MS: 50 } });
    const { key, taskId } = await submitAndCrash(h, async () => undefined);
    expect(h.sim.world.requests('kling', 'submit')).toBe(0);

    const restarted = await start({ reuse: h });
    const done = await restarted.waitForEnd(key, taskId);
    expect(done.body.status).toBe('succeeded');
    expect(h.sim.world.requests('kling', 'submit')).toBe(1);
  });

  it('adopts, without submitting twice, a job the vendor accepted just before the crash', async () => {
    const h = await start({ config: { SUBMIT_LEASE_MS: 50 } });
    // The vendor gets and accepts the job; the process dies before recording the answer.
    const { key, taskId } = await submitAndCrash(h, (jobId) => submitToKling(h, jobId));
    expect(h.sim.world.requests('kling', 'submit')).toBe(1);

    const restarted = await start({ reuse: h });
    const done = await restarted.waitForEnd(key, taskId);
    expect(done.body.status).toBe('succeeded');
    expect(h.sim.world.requests('kling', 'submit')).toBe(1);
  });

  it('adopts a job whose resubmit the vendor refuses because it already has it', async () => {
    const h = await start({ config: { SUBMIT_LEASE_MS: 50 } });
    const { key, taskId } = await submitAndCrash(h, (jobId) => submitToKling(h, jobId));
    // The recovery's lookup misses (as when it ran before the first send arrived), so it submits again: Kling
    // refuses the repeated external_task_id, and the job it already has is adopted rather than failed.
    h.sim.world.inject('kling', 'poll', { type: 'http_error', status: 404 });

    const restarted = await start({ reuse: h });
    const done = await restarted.waitForEnd(key, taskId);
    expect(done.body.status).toBe('succeeded');
    expect(h.sim.world.requests('kling', 'submit')).toBe(2);
    expect(h.sim.world.tasks.size).toBe(1);
  });
});
