import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { expectDownloadableMp4 } from '../../test/support/media.js';
import { Harness, testDatabases, type HarnessOptions } from '../../test/support/harness.js';
import type { SimTask } from '../simulator/world.js';

/** Polls so rare that only a callback can finish a task within a test. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits, generously, until `condition` holds; fails the test if it never does. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await sleep(10);
  }
}

const slowPolling = { POLL_INITIAL_DELAY_MS: 60_000, POLL_MAX_DELAY_MS: 60_000 };

describe.each(testDatabases())('vendor callbacks on %s', (database) => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses.reverse()) await h.close();
    harnesses.length = 0;
  });

  async function start(options: HarnessOptions) {
    const h = await Harness.start({ database, ...options });
    harnesses.push(h);
    await h.channel('kling');
    return { h, key: (await h.user()).key };
  }

  /** The task's (only) job, as stored. */
  function jobOf(h: Harness, taskId: string) {
    return h.gateway.deps.database.db
      .selectFrom('task_jobs')
      .selectAll()
      .where('task_id', '=', taskId)
      .executeTakeFirstOrThrow();
  }

  /** What Kling was sent for the task's job. */
  async function klingTaskOf(h: Harness, taskId: string): Promise<SimTask> {
    const job = await jobOf(h, taskId);
    const task = [...h.sim.world.tasks.values()].find((t) => t.request.external_task_id === job.id);
    if (!task) throw new Error(`Kling never saw job ${job.id}`);
    return task;
  }

  const pollAttempts = async (h: Harness, taskId: string) => (await jobOf(h, taskId)).poll_attempts;

  async function post(url: string, body: unknown) {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }

  it("finishes a task on Kling's callback, long before the next poll would", async () => {
    const { h, key } = await start({ publicUrl: true, config: slowPolling });
    const submitted = await h.submit(key, { model: 'kling-v1', prompt: 'quick news' });
    const sent = await klingTaskOf(h, submitted.body.task_id);
    expect(sent.request.callback_url).toMatch(
      new RegExp(`^${h.url}/v1/vendor-callbacks/job_\\w+\\.ch_\\w+\\.[\\w-]{43}$`),
    );

    // The first poll is due a minute after submit; the task takes 300 ms.
    const done = await h.waitForEnd(key, submitted.body.task_id, 10_000);
    expect(done.body.status).toBe('succeeded');
    await expectDownloadableMp4(done.body.url);
    expect(h.sim.world.requests('kling', 'callback')).toBeGreaterThanOrEqual(1);
    // One poll, for the callback that said "succeed": none for "processing", none on the regular schedule.
    expect(h.sim.world.requests('kling', 'poll')).toBe(1);
  });

  it('still finishes by polling when the callbacks never arrive', async () => {
    const { h, key } = await start({ publicUrl: true });
    // Kling calls a dead address: the gateway hears nothing and its polls carry on.
    h.gateway.config.PUBLIC_URL = 'http://127.0.0.1:9';
    const submitted = await h.submit(key, { model: 'kling-v1', prompt: 'lost in the post' });
    expect((await klingTaskOf(h, submitted.body.task_id)).request.callback_url).toMatch(
      /^http:\/\/127\.0\.0\.1:9\//,
    );
    expect((await h.waitForEnd(key, submitted.body.task_id)).body.status).toBe('succeeded');
  });

  it('gives Kling no callback_url when PUBLIC_URL is not set, even when the client has one', async () => {
    const { h, key } = await start({});
    const submitted = await h.submit(key, {
      model: 'kling-v1',
      prompt: 'x',
      callback_url: 'http://127.0.0.1:9/client-hook',
    });
    expect((await klingTaskOf(h, submitted.body.task_id)).request).not.toHaveProperty('callback_url');
  });

  /** A task Kling will be busy with for a minute, and Reelay will not poll on its own meanwhile. */
  async function longTask() {
    const { h, key } = await start({
      publicUrl: true,
      config: slowPolling,
      simulator: { taskDurationMs: 60_000 },
    });
    const taskId = (await h.submit(key, { model: 'kling-v1', prompt: 'x' })).body.task_id as string;
    return { h, key, taskId, sent: await klingTaskOf(h, taskId) };
  }

  /** A callback claiming success with a video from elsewhere. */
  const lie = (taskId: string) => ({
    task_id: taskId,
    task_status: 'succeed',
    task_status_msg: '',
    task_result: { videos: [{ id: 'v', url: 'https://evil.example/v.mp4', duration: '5' }] },
  });

  async function expectStillProcessing(h: Harness, key: string, taskId: string) {
    expect((await h.query(key, taskId)).body).toMatchObject({ status: 'processing', url: null });
  }

  it('ignores a callback with a forged token: 404, no poll, the task unchanged', async () => {
    const { h, key, taskId, sent } = await longTask();
    const genuine = String(sent.request.callback_url);
    const [jobId, mac] = genuine.slice(genuine.lastIndexOf('/') + 1).split('.') as [string, string];

    for (const token of [
      `${jobId}.${mac.slice(0, -2)}AA`,
      `job_AAAAAAAAAAAAAAAAAAAA.${mac}`,
      jobId,
      'anything',
    ]) {
      const res = await post(`${h.url}/v1/vendor-callbacks/${token}`, lie(sent.id));
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ type: 'not_found_error', code: 'callback_not_found' });
    }
    expect(h.sim.world.requests('kling', 'poll')).toBe(0);
    expect(await pollAttempts(h, taskId)).toBe(0);
    await expectStillProcessing(h, key, taskId);
  });

  it('polls nothing for a callback that says the task is still running', async () => {
    const { h, key, taskId, sent } = await longTask();
    const running = { task_id: sent.id, task_status: 'processing', task_status_msg: '' };
    expect((await post(String(sent.request.callback_url), running)).status).toBe(200);
    expect((await post(String(sent.request.callback_url), 'not json')).status).toBe(200);
    // The second body says nothing Reelay can read: that one is worth a poll.
    const deadline = Date.now() + 5_000;
    while ((await pollAttempts(h, taskId)) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(h.sim.world.requests('kling', 'poll')).toBe(1);
    await expectStillProcessing(h, key, taskId);
  });

  it('believes Kling, not the body, on a callback with a valid token that lies', async () => {
    const { h, key, taskId, sent } = await longTask();
    const res = await post(String(sent.request.callback_url), lie(sent.id));
    expect(res.status).toBe(200);
    // The callback made Reelay ask Kling, once, and write down Kling's answer: still running.
    const deadline = Date.now() + 5_000;
    while ((await pollAttempts(h, taskId)) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(h.sim.world.requests('kling', 'poll')).toBe(1);
    expect(await pollAttempts(h, taskId)).toBe(1);
    await expectStillProcessing(h, key, taskId);
  });

  /** The task's (only) job, with its lease and when its task ended. */
  const leaseOf = (h: Harness, taskId: string) =>
    h.gateway.deps.database.db
      .selectFrom('task_jobs')
      .innerJoin('tasks', 'tasks.id', 'task_jobs.task_id')
      .select(['task_jobs.id', 'task_jobs.lease_token', 'task_jobs.next_poll_at', 'tasks.completed_at'])
      .where('task_id', '=', taskId)
      .executeTakeFirstOrThrow();

  it('polls a job whose vendor called back before every routine poll that was due earlier', async () => {
    // One poll at a time, passes only when a slot frees (a tick of a minute), tasks that end at once.
    const { h, key } = await start({
      pollerOff: true,
      simulator: { taskDurationMs: 1 },
      config: { POLL_BATCH_SIZE: 1, POLL_TICK_MS: 60_000, POLL_INITIAL_DELAY_MS: 0 },
    });
    const routine: string[] = [];
    for (let i = 0; i < 5; i++)
      routine.push((await h.submit(key, { model: 'kling-v1', prompt: `routine ${i}` })).body.task_id);
    const news = (await h.submit(key, { model: 'kling-v1', prompt: 'news' })).body.task_id;
    // The first routine poll holds the only slot while the vendor calls back about the last job submitted.
    h.sim.world.inject('kling', 'poll', { type: 'slow', delayMs: 500 });
    h.gateway.poller.start();
    await until(async () => h.sim.world.requests('kling', 'poll') >= 1, 'the first routine poll');
    expect(await h.gateway.poller.pollNow((await leaseOf(h, news)).id)).toBe(true);

    for (const id of [...routine, news]) expect((await h.waitForEnd(key, id)).body.status).toBe('succeeded');
    // Every poll ended its task, one at a time: the order of the ends is the order of the polls.
    const newsEnded = (await leaseOf(h, news)).completed_at!;
    const [first, ...others] = await Promise.all(
      routine.map(async (id) => (await leaseOf(h, id)).completed_at!),
    );
    expect(newsEnded).toBeGreaterThanOrEqual(first!);
    for (const ended of others) expect(newsEnded).toBeLessThanOrEqual(ended);
    expect(h.sim.world.requests('kling', 'poll')).toBe(6);
  });

  /**
   * Tasks of ten minutes, polled every 50 ms while no callback comes; while callbacks arrive, once an hour, and no
   * callback for 1 s (POLL_MAX_DELAY_MS) ends that.
   */
  const startCallingBack = () =>
    start({
      publicUrl: true,
      simulator: { taskDurationMs: 10 * 60_000 },
      config: {
        POLL_INITIAL_DELAY_MS: 50,
        POLL_BACKOFF_FACTOR: 1,
        POLL_MAX_DELAY_MS: 1_000,
        POLL_CALLBACK_FALLBACK_MS: 60 * 60_000,
      },
    });

  it('backs routine polls off to the fallback cadence while callbacks arrive, and polls normally when they stop', async () => {
    // Normally a poll every 50 ms; with callbacks arriving, one an hour; no callback for 1 s ends that.
    const { h, key } = await startCallingBack();
    const taskId = (await h.submit(key, { model: 'kling-v1', prompt: 'long' })).body.task_id;
    const job = await leaseOf(h, taskId);
    const sent = [...h.sim.world.tasks.values()].find((t) => t.request.external_task_id === job.id)!;
    // Polling alone first: several polls.
    await until(async () => h.sim.world.requests('kling', 'poll') >= 3, 'routine polls');

    // Kling says "still running", again and again (no poll for those): the job goes to rest in the database,
    // unleased, due an hour after its last poll.
    let callingBack = true;
    const running = { task_id: sent.id, task_status: 'processing', task_status_msg: '' };
    const callbacks = (async () => {
      while (callingBack) {
        const res = await request(String(sent.request.callback_url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(running),
        });
        expect(res.statusCode).toBe(200);
        await res.body.dump();
        await sleep(50);
      }
    })();
    await until(async () => {
      const row = await leaseOf(h, taskId);
      return row.lease_token === null && row.next_poll_at > Date.now() + 30 * 60_000;
    }, 'the job resting');
    const pollsResting = h.sim.world.requests('kling', 'poll');
    // While the callbacks go on, no routine poll: at 50 ms a poll, dozens would have come.
    const restingUntil = Date.now() + 1_500;
    while (Date.now() < restingUntil) {
      await sleep(100);
      expect(h.sim.world.requests('kling', 'poll')).toBe(pollsResting);
    }

    // The callbacks stop: within the silence (1 s) and a pass, routine polls resume on the normal schedule.
    callingBack = false;
    await callbacks;
    await until(
      async () => h.sim.world.requests('kling', 'poll') >= pollsResting + 3,
      'routine polls resuming',
    );
  });

  it('takes callbacks that come together for one job as one claim, not as a job held elsewhere', async () => {
    // Two long tasks whose "still running" callbacks keep coming: both rest, due an hour after their last poll.
    const { h, key } = await startCallingBack();
    const ids: string[] = [];
    for (const prompt of ['news', 'quiet'])
      ids.push((await h.submit(key, { model: 'kling-v1', prompt })).body.task_id as string);
    const [news, quiet] = await Promise.all(ids.map((id) => klingTaskOf(h, id)));
    let callingBack = true;
    const running = (async () => {
      while (callingBack) {
        for (const task of [news!, quiet!])
          await post(String(task.request.callback_url), { task_id: task.id, task_status: 'processing' });
        await sleep(50);
      }
    })();
    const resting = async (taskId: string) => {
      const row = await leaseOf(h, taskId);
      return row.lease_token === null && row.next_poll_at > Date.now() + 30 * 60_000;
    };
    await until(async () => (await resting(ids[0]!)) && (await resting(ids[1]!)), 'both jobs resting');

    // Five callbacks with news for one job, all at once: each answered, the job polled (once or, for one that
    // came during the poll, again after), none counted as a callback for a job another instance holds.
    const pollsBefore = h.sim.world.requests('kling', 'poll');
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        post(String(news!.request.callback_url), { task_id: news!.id, task_status: 'succeed' }),
      ),
    );
    for (const answer of answers) expect(answer).toEqual({ status: 200, body: { received: true } });
    await until(async () => h.sim.world.requests('kling', 'poll') > pollsBefore, 'the poll for the news');
    // A miss would have the channel polled normally, the resting quiet job first among its polls.
    const quietUntil = Date.now() + 1_500;
    while (Date.now() < quietUntil) {
      await sleep(100);
      expect(await resting(ids[1]!)).toBe(true);
    }
    expect(h.sim.world.requests('kling', 'poll') - pollsBefore).toBeLessThanOrEqual(2);
    callingBack = false;
    await running;
  });

  it('polls a resting job at once when its vendor calls back with news', async () => {
    const config = {
      POLL_INITIAL_DELAY_MS: 50,
      POLL_BACKOFF_FACTOR: 1,
      POLL_MAX_DELAY_MS: 60_000,
      POLL_CALLBACK_FALLBACK_MS: 60 * 60_000,
    };
    const { h, key } = await start({ publicUrl: true, simulator: { taskDurationMs: 2_000 }, config });
    const taskId = (await h.submit(key, { model: 'kling-v1', prompt: 'news' })).body.task_id;
    // Kling's own "running" callback (at a fifth of the task) sends the job to rest at its next routine poll,
    // due an hour later: only Kling's "succeed" callback can end it within the test.
    await until(async () => {
      const row = await leaseOf(h, taskId);
      return row.lease_token === null && row.next_poll_at > Date.now() + 30 * 60_000;
    }, 'the job resting');
    const done = await h.waitForEnd(key, taskId);
    expect(done.body.status).toBe('succeeded');
    expect(h.sim.world.requests('kling', 'callback')).toBe(2);
  });
});
