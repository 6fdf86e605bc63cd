/**
 * Event streams are driven by the change feed (store/change-feed.ts: LISTEN/NOTIFY on PostgreSQL, in-process on
 * SQLite), not by each stream reading the database every few hundred milliseconds. The slow re-check is set to
 * ten minutes here, so whatever a stream sees within a test came from a change notice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledQuery } from 'kysely';
import { Harness, testDatabases } from '../../test/support/harness.js';
import { readEventStream } from '../../test/support/sse.js';

const body = { model: 'kling-v1', prompt: 'a cat', size: '1280x720', duration: 5 };
const viduBody = { model: 'viduq2', prompt: 'a cat', size: '1280x720', duration: 5 };
const feedOnly = { TASK_WATCH_INTERVAL_MS: 600_000 };
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 20 });

/**
 * Counts the statements that read a task for its owner (what every stream's re-read is: store/tasks.ts ownTask),
 * as they reach the database.
 */
function countOwnTaskReads(h: Harness): { readonly count: number } {
  const db = h.gateway.deps.database.db;
  const execute = db.executeQuery.bind(db);
  const counter = { count: 0 };
  db.executeQuery = ((query: CompiledQuery) => {
    if (/from "tasks" where "id" = \S+ and "user_id" =/.test(query.sql)) counter.count++;
    return execute(query);
  }) as typeof db.executeQuery;
  return counter;
}

describe.each(testDatabases())('event streams on the change feed on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    // No poller: a task stays exactly as submitted (at Vidu, which can cancel it) until the test changes it.
    h = await Harness.start({
      database,
      pollerOff: true,
      config: feedOnly,
      simulator: { taskDurationMs: 600_000 },
    });
    await h.channel('vidu');
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  it('many open streams read the task once each, and once more each when it changes: not per interval', async () => {
    const reads = countOwnTaskReads(h);
    const taskId = (await h.submit(key, viduBody)).body.task_id as string;
    const streamCount = 25;
    const streams = Array.from({ length: streamCount }, () =>
      readEventStream(`${h.url}/v1/video/generations/${taskId}/events`, key),
    );
    // Each stream opened with two reads (the route's lookup, which answers 404 for another's task, and the
    // stream's first); none reads again while nothing changes.
    const opening = 2 * streamCount;
    await eventually(() => reads.count).toBe(opening);

    const cancelled = await h.http('POST', `/v1/video/generations/${taskId}/cancel`, { token: key });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    const ended = await Promise.all(streams);
    for (const stream of ended) {
      expect(stream.events.at(-1)).toMatchObject({ event: 'done', data: '{"status":"failed"}' });
      const last = JSON.parse(stream.events.filter((e) => e.event === 'status').at(-1)!.data);
      expect(last.error.code).toBe('cancelled');
    }
    // One more read per stream after the one change (the cancel's notice), whatever the time it took, and the
    // cancel request's own (its lookup and the answer's).
    expect(reads.count - opening).toBeLessThanOrEqual(streamCount + 2);
  }, 60_000);
});

describe.skipIf(!process.env.DATABASE_URL_TEST)('event streams across instances on postgres', () => {
  let a: Harness;
  let b: Harness | undefined;
  let key: string;

  beforeAll(async () => {
    a = await Harness.start({ database: 'postgres', config: feedOnly, simulator: { taskDurationMs: 1_000 } });
    await a.channel('kling');
    key = (await a.user()).key;
  });
  afterEach(async () => {
    await b?.stopGateway();
    b = undefined;
  });
  afterAll(() => a.close());

  it('a stream on instance B follows a task that instance A submits, polls and ends', async () => {
    // B neither submits nor polls: what its stream shows, A did, and B heard of it by LISTEN/NOTIFY.
    b = await Harness.start({ reuse: a, pollerOff: true, config: feedOnly });
    const taskId = (await a.submit(key, body)).body.task_id as string;
    const stream = await readEventStream(`${b.url}/v1/video/generations/${taskId}/events`, key);
    const tasks = stream.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data));
    expect(tasks[0].status).toBe('processing');
    expect(tasks.at(-1)).toMatchObject({ task_id: taskId, status: 'succeeded', progress: 100 });
    expect(stream.events.at(-1)).toMatchObject({ event: 'done', data: '{"status":"succeeded"}' });
  }, 60_000);
});
