/**
 * The vendor simulators in a process of their own. Besides serving, it creates Kling tasks on request (through
 * Kling's real submit route, so callbacks are set up as for any task) and records when each task was polled, so
 * the benchmark can tell how long after its end a task became visible and whether its polls kept their backoff.
 */
import type { FastifyInstance } from 'fastify';
import { serveParent } from './child.js';
import { defaultKlingAccount } from '../src/simulator/kling.js';
import { buildSimulator } from '../src/simulator/server.js';
import { SimWorld } from '../src/simulator/world.js';
import { mintKlingToken } from '../src/vendors/kling/auth.js';

export interface SimulatorStart {
  taskDurationMs: number;
  taskJitterMs: number;
  videoBytes?: number;
}

export interface SeedJob {
  jobId: string;
  callbackUrl: string | null;
}

export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
}

/** Per task, in the order of `upstreamIds`. */
export interface PollReport {
  upstreamIds: string[];
  finishedAt: number[];
  polls: number[];
  /** Gaps between two polls of one task shorter than the backoff allows after that many polls. */
  earlyPolls: number[];
  /** Polls after one that found the task ended (that poll ended the job: any later one is a duplicate). */
  duplicatePolls: number[];
}

const pollPath = /^\/kling\/v1\/videos\/text2video\/([^/?]+)/;

let world: SimWorld;
let app: FastifyInstance;
let token: string;
const pollTimes = new Map<string, number[]>();
const failedCallbacks = new Map<number | null, number>();
/**
 * Per final callback (the one that says the task ended): how long after the task's end it was sent, and answered.
 * Tells the simulator's own lateness (a busy event loop fires its timers late) from the gateway's.
 */
const endCallbackLag = { sentMs: [] as number[], answeredMs: [] as number[] };

/** The simulated task a Kling callback body reports as ended (succeed or failed); null for other stages. */
function endedTaskOf(body: unknown) {
  const { task_id, task_status } = (body ?? {}) as { task_id?: string; task_status?: string };
  if (task_status !== 'succeed' && task_status !== 'failed') return null;
  return (task_id && world.tasks.get(task_id)) || null;
}

function percentiles(values: number[]): { p50: number; p99: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

serveParent({
  async start(options: SimulatorStart) {
    world = new SimWorld({ taskDurationMs: options.taskDurationMs, taskJitterMs: options.taskJitterMs });
    app = await buildSimulator(world, { videoBytes: options.videoBytes });
    // Callbacks that did not reach Reelay (no answer, or not a 2xx), to tell a lost callback from a slow one.
    const callBack = world.callBack.bind(world);
    world.callBack = async (vendor, url, body) => {
      const ended = endedTaskOf(body);
      const sentAt = Date.now();
      const status = await callBack(vendor, url, body);
      if (ended) {
        endCallbackLag.sentMs.push(sentAt - world.finishedAt(ended));
        endCallbackLag.answeredMs.push(Date.now() - world.finishedAt(ended));
      }
      if (status === null || status >= 300)
        failedCallbacks.set(status, (failedCallbacks.get(status) ?? 0) + 1);
      return status;
    };
    app.addHook('onRequest', async (request) => {
      if (request.method !== 'GET') return;
      const id = pollPath.exec(request.url)?.[1];
      if (!id) return;
      let times = pollTimes.get(id);
      if (!times) pollTimes.set(id, (times = []));
      times.push(Date.now());
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    token = await mintKlingToken(defaultKlingAccount);
    return { url: `http://127.0.0.1:${port}`, klingToken: token };
  },

  /** Submits one Kling task per job, as Reelay would have (external_task_id, callback_url); their Kling ids. */
  async seedKling({ jobs }: { jobs: SeedJob[] }) {
    const ids: string[] = [];
    for (const job of jobs) {
      const res = await app.inject({
        method: 'POST',
        url: '/kling/v1/videos/text2video',
        headers: { authorization: `Bearer ${token}` },
        payload: {
          model_name: 'kling-v1',
          prompt: 'a lighthouse at dusk, waves breaking',
          mode: 'std',
          duration: '5',
          aspect_ratio: '16:9',
          external_task_id: job.jobId,
          ...(job.callbackUrl ? { callback_url: job.callbackUrl } : {}),
        },
      });
      const body = res.json<{ code: number; data?: { task_id: string } }>();
      if (body.code !== 0 || !body.data) throw new Error(`seeding failed: ${res.body}`);
      ids.push(body.data.task_id);
    }
    return ids;
  },

  pollReport(backoff: Backoff): PollReport {
    const report: PollReport = {
      upstreamIds: [],
      finishedAt: [],
      polls: [],
      earlyPolls: [],
      duplicatePolls: [],
    };
    for (const task of world.tasks.values()) {
      const times = pollTimes.get(task.id) ?? [];
      let early = 0;
      for (let i = 1; i < times.length; i++) {
        // After its i-th poll a job waits backoff(i) (jobs.ts backoffMs); Date.now() rounds, hence the 1 ms.
        const allowed = Math.min(backoff.initialMs * backoff.factor ** i, backoff.maxMs);
        if (times[i]! - times[i - 1]! < allowed - 1) early++;
      }
      const finishedAt = world.finishedAt(task);
      const afterEnd = times.filter((time) => time >= finishedAt).length;
      report.upstreamIds.push(task.id);
      report.finishedAt.push(finishedAt);
      report.duplicatePolls.push(Math.max(0, afterEnd - 1));
      report.polls.push(times.length);
      report.earlyPolls.push(early);
    }
    return report;
  },

  /** Kling polls received so far. */
  polls() {
    return world.requests('kling', 'poll');
  },

  /**
   * Kling's callbacks: how many were sent, how many failed by answer (null: no answer), and the p50/p99 of how
   * long after its task's end the final callback was sent and answered.
   */
  callbacks() {
    return {
      sent: world.requests('kling', 'callback'),
      failed: Object.fromEntries(failedCallbacks),
      endLagMs: {
        sent: percentiles(endCallbackLag.sentMs),
        answered: percentiles(endCallbackLag.answeredMs),
      },
    };
  },

  async stop() {
    world.close();
    await app.close();
  },
});
