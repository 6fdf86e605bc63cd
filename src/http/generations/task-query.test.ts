/**
 * The task query answered before Fastify's router (task-query.ts) is the route's answer: every request below goes
 * once with the fast path and once to Fastify alone, and the two give the same status, headers (but Date) and
 * body bytes, and move the request metrics alike. Each says whether the fast path answers it, so the comparison
 * cannot pass with the fast path never taken.
 */
import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';
import type { TaskQueryFastPath } from './task-query.js';

interface Exchange {
  status: number;
  /** As sent: names and values in order (Date left out: it is the time). */
  headers: string[];
  body: string;
}

function exchange(
  baseUrl: string,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
  agent?: Agent,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(new URL(path, baseUrl), { method, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const pairs = res.rawHeaders.flatMap((value, i) =>
          i % 2 === 0 ? [] : [`${res.rawHeaders[i - 1]}: ${value}`],
        );
        resolve({ status: res.statusCode!, headers: pairs.filter((line) => !/^date:/i.test(line)), body });
      });
    });
    sent.on('error', reject);
    sent.end();
  });
}

/** The request metrics' counts (requests by route, method and status; durations observed), as Prometheus text. */
async function requestCounts(h: Harness): Promise<Map<string, number>> {
  const { body } = await h.gateway.metrics.render();
  const counts = new Map<string, number>();
  for (const line of body.split('\n')) {
    const match =
      /^(reelay_http_requests_total|reelay_http_request_duration_seconds_count)(\{.*\}) (\S+)$/.exec(line);
    if (match) counts.set(match[1]! + match[2]!, Number(match[3]));
  }
  return counts;
}

/** What changed between two readings of the counts. */
function moved(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const changes: Record<string, number> = {};
  for (const [series, value] of after) {
    const change = value - (before.get(series) ?? 0);
    if (change !== 0) changes[series] = change;
  }
  return changes;
}

type User = Awaited<ReturnType<Harness['user']>>;

/** What a case sends, and whether the fast path answers it. */
interface Case {
  method?: string;
  path: string;
  headers: OutgoingHttpHeaders;
  fast: boolean;
}

const taskPath = (taskId: string) => `/v1/video/generations/${taskId}`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe.each(testDatabases())('the task query before the router, against Fastify alone (%s)', (database) => {
  let h: Harness;
  let fastPath: TaskQueryFastPath;
  let owner: User;
  /** A second key of the owner's, with the per-key limits (they count submits, not reads). */
  let limitedKey: string;
  let stranger: User;
  let revoked: User;
  let succeeded: string;
  let failed: string;
  let running: string;

  /** A task of the user's that has ended, read until memory holds it (the first reads come from the database). */
  async function endedTask(user: User, fault?: { type: 'task_fails'; reason: string }): Promise<string> {
    if (fault) h.sim.world.inject('kling', 'submit', fault);
    const { task_id } = (await h.submit(user.key, { model: 'kling-v1', prompt: 'a heron' })).body;
    await h.waitForEnd(user.key, task_id);
    await h.query(user.key, task_id);
    expect(h.gateway.tasks.heldOwn(task_id, user.userId)).toBeDefined();
    return task_id;
  }

  /** Sends the case once with the fast path on and once with Fastify alone: the answers and metrics moved. */
  async function bothWays({ method = 'GET', path, headers }: Case) {
    const send = () => exchange(h.url, method, path, headers);
    const observe = async (enabled: boolean) => {
      fastPath.enabled = enabled;
      const [counts, answered] = [await requestCounts(h), fastPath.answered];
      const answer = await send();
      // Fastify counts an answer once it has gone out ('finish'); the client may have it a moment earlier.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { answer, metrics: moved(counts, await requestCounts(h)), fast: fastPath.answered > answered };
    };
    try {
      return { viaFastPath: await observe(true), viaFastify: await observe(false) };
    } finally {
      fastPath.enabled = true;
    }
  }

  beforeAll(async () => {
    // No address is refused for the failures below (the throttle has its own case).
    h = await Harness.start({ database, config: { AUTH_FAILURE_LIMIT: 1_000 } });
    fastPath = h.gateway.taskQueries!;
    await h.channel('kling');
    [owner, stranger, revoked] = [await h.user(), await h.user(), await h.user()];
    limitedKey = (await h.admin('POST', `/users/${owner.userId}/keys`, { rpm: 1, max_concurrent_tasks: 1 }))
      .body.key;
    succeeded = await endedTask(owner);
    failed = await endedTask(owner, { type: 'task_fails', reason: 'risk control' });
    h.sim.world.inject('kling', 'submit', { type: 'task_never_ends' });
    running = (await h.submit(owner.key, { model: 'kling-v1', prompt: 'a heron, forever' })).body.task_id;
    expect((await h.admin('DELETE', `/users/${revoked.userId}/keys/${revoked.keyId}`)).status).toBe(200);
  });
  afterAll(() => h.close());

  const cases: [string, () => Case][] = [
    [
      'an ended task with a known key',
      () => ({ path: taskPath(succeeded), headers: bearer(owner.key), fast: true }),
    ],
    ['a failed task', () => ({ path: taskPath(failed), headers: bearer(owner.key), fast: true })],
    [
      'lowercase bearer',
      () => ({ path: taskPath(succeeded), headers: { authorization: `bearer ${owner.key}` }, fast: true }),
    ],
    [
      'another Host (the links follow it)',
      () => ({
        path: taskPath(succeeded),
        headers: { ...bearer(owner.key), host: 'videos.example:8443' },
        fast: true,
      }),
    ],
    [
      'X-Forwarded-Host and -Proto without TRUST_PROXY (ignored)',
      () => ({
        path: taskPath(succeeded),
        headers: { ...bearer(owner.key), 'x-forwarded-host': 'proxy.example', 'x-forwarded-proto': 'https' },
        fast: true,
      }),
    ],
    [
      'a key with rpm and max_concurrent_tasks',
      () => ({ path: taskPath(succeeded), headers: bearer(limitedKey), fast: true }),
    ],
    ['a running task', () => ({ path: taskPath(running), headers: bearer(owner.key), fast: false })],
    [
      'an unknown task',
      () => ({ path: taskPath('task_00000000000000000000'), headers: bearer(owner.key), fast: false }),
    ],
    [
      "another user's task",
      () => ({ path: taskPath(succeeded), headers: bearer(stranger.key), fast: false }),
    ],
    [
      'an unknown key',
      () => ({ path: taskPath(succeeded), headers: bearer('sk-unknown00000000000'), fast: false }),
    ],
    ['a revoked key', () => ({ path: taskPath(succeeded), headers: bearer(revoked.key), fast: false })],
    ['no key', () => ({ path: taskPath(succeeded), headers: {}, fast: false })],
    [
      'another scheme',
      () => ({ path: taskPath(succeeded), headers: { authorization: `Token ${owner.key}` }, fast: false }),
    ],
    [
      'a query string',
      () => ({ path: `${taskPath(succeeded)}?x=1`, headers: bearer(owner.key), fast: false }),
    ],
    [
      'a trailing slash',
      () => ({ path: `${taskPath(succeeded)}/`, headers: bearer(owner.key), fast: false }),
    ],
    [
      'the id percent-encoded',
      () => ({
        path: taskPath(succeeded.replace('task_', 'task%5F')),
        headers: bearer(owner.key),
        fast: false,
      }),
    ],
    ['HEAD', () => ({ method: 'HEAD', path: taskPath(succeeded), headers: bearer(owner.key), fast: false })],
    [
      'Prefer: wait=1',
      () => ({ path: taskPath(succeeded), headers: { ...bearer(owner.key), prefer: 'wait=1' }, fast: false }),
    ],
    [
      'the events route',
      () => ({ path: `${taskPath(failed)}/events`, headers: bearer(owner.key), fast: false }),
    ],
  ];

  it.each(cases)('%s: the same answer and metrics as Fastify alone', async (_name, make) => {
    const sent = make();
    // The key (and any task) read into memory, as by the client's earlier reads.
    await exchange(h.url, sent.method ?? 'GET', sent.path, sent.headers);
    const { viaFastPath, viaFastify } = await bothWays(sent);
    expect(viaFastPath.fast).toBe(sent.fast);
    expect(viaFastify.fast).toBe(false);
    expect(viaFastPath.answer).toEqual(viaFastify.answer);
    expect(viaFastPath.metrics).toEqual(viaFastify.metrics);
    expect(Object.values(viaFastPath.metrics)).toEqual([1, 1]);
  });

  it('reads each request’s key when a connection changes keys', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const connections = new Set();
    agent.on('free', (socket) => connections.add(socket));
    try {
      const read = (key: string) => exchange(h.url, 'GET', taskPath(succeeded), bearer(key), agent);
      await read(stranger.key);
      const answered = fastPath.answered;
      expect((await read(owner.key)).status).toBe(200);
      expect((await read(stranger.key)).status).toBe(404);
      expect((await read(revoked.key)).status).toBe(401);
      expect((await read(limitedKey)).status).toBe(200);
      expect(fastPath.answered).toBe(answered + 2);
      expect(connections.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('leaves a key that expires while in memory to Fastify from that moment', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 4;
    const expiring = await h.user({ expires_at: expiresAt });
    const taskId = await endedTask(expiring);
    const read = { path: taskPath(taskId), headers: bearer(expiring.key), fast: true };
    expect((await bothWays(read)).viaFastPath.fast).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    const { viaFastPath, viaFastify } = await bothWays(read);
    expect(viaFastPath.fast).toBe(false);
    expect(viaFastPath.answer.status).toBe(401);
    expect(viaFastPath.answer).toEqual(viaFastify.answer);
    expect(JSON.parse(viaFastPath.answer.body)).toMatchObject({ code: 'expired_api_key' });
  });
});

describe('the task query before the router, behind a trusted proxy', () => {
  let h: Harness;
  afterAll(() => h.close());

  it('is left to Fastify while the forwarded headers decide the links, and taken once PUBLIC_URL does', async () => {
    h = await Harness.start({ config: { TRUST_PROXY: true } });
    await h.channel('kling');
    const user = await h.user();
    const { task_id } = (await h.submit(user.key, { model: 'kling-v1', prompt: 'a heron' })).body;
    await h.waitForEnd(user.key, task_id);
    const fastPath = h.gateway.taskQueries!;
    const forwarded = {
      ...bearer(user.key),
      'x-forwarded-host': 'proxy.example',
      'x-forwarded-proto': 'https',
    };
    const read = () => exchange(h.url, 'GET', taskPath(task_id), forwarded);
    await read();
    const answered = fastPath.answered;
    const viaFastify = await read();
    expect(fastPath.answered).toBe(answered);
    expect(JSON.parse(viaFastify.body).url).toMatch(/^https:\/\/proxy\.example\//);

    h.gateway.config.PUBLIC_URL = 'https://videos.example';
    const viaFastPath = await read();
    expect(fastPath.answered).toBe(answered + 1);
    fastPath.enabled = false;
    expect(await read()).toEqual(viaFastPath);
    expect(JSON.parse(viaFastPath.body).url).toMatch(/^https:\/\/videos\.example\//);
  });
});

describe('the task query before the router, while an address is refused for failed keys', () => {
  let h: Harness;
  afterAll(() => h.close());

  it('answers nobody: the address is Fastify’s to read, and the known key gets the 429', async () => {
    h = await Harness.start({ config: { AUTH_FAILURE_LIMIT: 2 } });
    await h.channel('kling');
    const user = await h.user();
    const { task_id } = (await h.submit(user.key, { model: 'kling-v1', prompt: 'a heron' })).body;
    await h.waitForEnd(user.key, task_id);
    const fastPath = h.gateway.taskQueries!;
    const read = () => exchange(h.url, 'GET', taskPath(task_id), bearer(user.key));
    await read();
    const answered = fastPath.answered;
    expect((await read()).status).toBe(200);
    expect(fastPath.answered).toBe(answered + 1);
    for (const guess of ['sk-guess1', 'sk-guess2']) expect((await h.query(guess, task_id)).status).toBe(401);
    const viaFastPath = await read();
    fastPath.enabled = false;
    const viaFastify = await read();
    expect(viaFastPath.status).toBe(429);
    expect(viaFastPath).toEqual(viaFastify);
    expect(fastPath.answered).toBe(answered + 1);
  });
});
