import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, testDatabases, type HarnessOptions } from '../../test/support/harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits, generously, until `condition` holds; fails the test if it never does. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await sleep(10);
  }
}

describe.each(testDatabases())('poller and vendor callbacks on %s', (database) => {
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

  const jobOf = (h: Harness, taskId: string) =>
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
    expect(await h.gateway.poller.pollNow((await jobOf(h, news)).id)).toBe(true);

    for (const id of [...routine, news]) expect((await h.waitForEnd(key, id)).body.status).toBe('succeeded');
    // Every poll ended its task, one at a time: the order of the ends is the order of the polls.
    const newsEnded = (await jobOf(h, news)).completed_at!;
    const [first, ...others] = await Promise.all(
      routine.map(async (id) => (await jobOf(h, id)).completed_at!),
    );
    expect(newsEnded).toBeGreaterThanOrEqual(first!);
    for (const ended of others) expect(newsEnded).toBeLessThanOrEqual(ended);
    expect(h.sim.world.requests('kling', 'poll')).toBe(6);
  });

  it('backs routine polls off to the fallback cadence while callbacks arrive, and polls normally when they stop', async () => {
    // Normally a poll every 50 ms; with callbacks arriving, one an hour; no callback for 1 s ends that.
    const { h, key } = await start({
      publicUrl: true,
      simulator: { taskDurationMs: 10 * 60_000 },
      config: {
        POLL_INITIAL_DELAY_MS: 50,
        POLL_BACKOFF_FACTOR: 1,
        POLL_MAX_DELAY_MS: 1_000,
        POLL_CALLBACK_FALLBACK_MS: 60 * 60_000,
      },
    });
    const taskId = (await h.submit(key, { model: 'kling-v1', prompt: 'long' })).body.task_id;
    const job = await jobOf(h, taskId);
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
      const row = await jobOf(h, taskId);
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
      const row = await jobOf(h, taskId);
      return row.lease_token === null && row.next_poll_at > Date.now() + 30 * 60_000;
    }, 'the job resting');
    const done = await h.waitForEnd(key, taskId);
    expect(done.body.status).toBe('succeeded');
    expect(h.sim.world.requests('kling', 'callback')).toBe(2);
  });
});
