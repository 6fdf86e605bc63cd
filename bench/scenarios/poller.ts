/**
 * Poller at scale: many tasks running at once on one Kling simulator, finishing at random times. Measures how
 * long after the vendor finished a task its success became visible in Reelay, how many polls each task took
 * (and whether any came sooner than its backoff allows), and the gateway's CPU time and peak memory; with
 * polling alone, and with Kling calling back.
 *
 * The tasks are put in place directly, not through 100,000 HTTP submits: the simulator creates them through
 * Kling's own submit route (app.inject), and the gateway saves the rows a successful submit leaves. From then on
 * everything is real: the gateway's poller polls the simulator over HTTP.
 */
import type { Config } from '../../src/config.js';
import { sampleRss, type Child, type Usage } from '../child.js';
import { BenchContext, megabytes, ms, percentile, type Row, type ScenarioResult } from '../context.js';
import type { VisibilityReport } from '../gateway-process.js';
import type { Backoff, PollReport, SeedJob } from '../simulator-process.js';

/** The tasks finish between `taskMinMs` and `taskMinMs + taskSpreadMs` after they were created. */
interface Run {
  tasks: number;
  callbacks: boolean;
  taskMinMs: number;
  taskSpreadMs: number;
}

/** The poller's settings for this scenario (see docs/benchmarks.md for why). */
export const pollerConfig: Partial<Config> = {
  ...(process.env.BENCH_REHOST === 'false' ? { REHOST_CONTENT: false } : {}),
  POLL_INITIAL_DELAY_MS: 2_000,
  POLL_BACKOFF_FACTOR: 1.5,
  POLL_MAX_DELAY_MS: 8_000,
  POLL_TICK_MS: 250,
  POLL_BATCH_SIZE: 500,
  POLL_CHANNEL_CONCURRENCY: 16,
};

const seedChunk = 2_000;

export interface PollerRunResult extends Run {
  seedSeconds: number;
  /** From the first task created to the last one visible. */
  runSeconds: number;
  /** From the last task visible to the last result copied into storage (copies follow successes). */
  copySeconds: number;
  visible: number;
  notVisible: number;
  delayMs: { p50: number; p99: number; max: number };
  pollsPerTask: number;
  /** Polls that came sooner than the task's backoff allowed (meaningful with polling alone). */
  earlyPolls: number;
  callbacksSent: number;
  /** Callbacks Reelay did not take, by its answer ("null": no answer). */
  callbacksFailed: Record<string, number>;
  gatewayCpuSeconds: number;
  gatewayCpuCores: number;
  gatewayPeakRssBytes: number;
  simulatorCpuSeconds: number;
  timeline: Sample[];
}

async function seed(gateway: Child, simulator: Child, tasks: number): Promise<void> {
  for (let done = 0; done < tasks; done += seedChunk) {
    const jobs = await gateway.call<SeedJob[]>('prepareJobs', { count: Math.min(seedChunk, tasks - done) });
    const upstreamIds = await simulator.call<string[]>('seedKling', { jobs });
    await gateway.call('insertRunningJobs', {
      jobs: jobs.map((job, i) => ({ jobId: job.jobId, upstreamId: upstreamIds[i]! })),
    });
  }
}

/** One moment of a run, every two seconds: how far it got and what it cost. */
interface Sample {
  seconds: number;
  openJobs: number;
  /** Polls the simulator received since the previous sample, per second. */
  pollsPerSecond: number;
  gatewayCpuCores: number;
  simulatorCpuCores: number;
  gatewayRssBytes: number;
}

async function waitUntilAllVisible(
  gateway: Child,
  simulator: Child,
  started: number,
  deadline: number,
  timeline: Sample[],
  seeded: () => boolean,
): Promise<void> {
  let last = { at: Date.now(), polls: 0, gateway: gateway.usage(), simulator: simulator.usage() };
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const openJobs = await gateway.call<number>('openJobs');
    const now = {
      at: Date.now(),
      polls: await simulator.call<number>('polls'),
      gateway: gateway.usage(),
      simulator: simulator.usage(),
    };
    const seconds = (now.at - last.at) / 1000;
    timeline.push({
      seconds: Math.round((now.at - started) / 1000),
      openJobs,
      pollsPerSecond: Math.round((now.polls - last.polls) / seconds),
      gatewayCpuCores: (now.gateway.cpuMs - last.gateway.cpuMs) / 1000 / seconds,
      simulatorCpuCores: (now.simulator.cpuMs - last.simulator.cpuMs) / 1000 / seconds,
      gatewayRssBytes: now.gateway.rssBytes,
    });
    last = now;
    if (process.env.BENCH_VERBOSE) console.error(timeline.at(-1));
    // No open job counts only once every task is in place: seeding a large run outlasts the first samples.
    if ((openJobs === 0 && seeded()) || Date.now() > deadline) return;
  }
}

async function measure(ctx: BenchContext, run: Run): Promise<PollerRunResult> {
  const sim = await ctx.simulator({ taskDurationMs: run.taskMinMs, taskJitterMs: run.taskSpreadMs });
  const gateway = await ctx.gateway(sim.url, pollerConfig, run.callbacks);
  const gatewayBefore = gateway.child.usage();
  const simBefore = sim.child.usage();
  const started = Date.now();
  let visibleAt = started;
  const timeline: Sample[] = [];
  const { result: seededAt, maxRssBytes } = await sampleRss(
    gateway.child,
    async () => {
      let seeded = false;
      const seeding = seed(gateway.child, sim.child, run.tasks).then(() => {
        seeded = true;
        return Date.now();
      });
      const deadline = started + run.taskMinMs + run.taskSpreadMs + 180_000;
      await waitUntilAllVisible(gateway.child, sim.child, started, deadline, timeline, () => seeded);
      visibleAt = Date.now();
      // CPU and memory count the copies too: they are part of ending a task, only later.
      while ((await gateway.child.call<number>('pendingCopies')) > 0 && Date.now() < deadline + 60_000)
        await new Promise((resolve) => setTimeout(resolve, 250));
      return seeding;
    },
    250,
  );
  const seedSeconds = (seededAt - started) / 1000;
  const finished = Date.now();
  const gatewayAfter: Usage = gateway.child.usage();
  const simAfter = sim.child.usage();
  const backoff: Backoff = {
    initialMs: pollerConfig.POLL_INITIAL_DELAY_MS!,
    factor: pollerConfig.POLL_BACKOFF_FACTOR!,
    maxMs: pollerConfig.POLL_MAX_DELAY_MS!,
  };
  const polls = await sim.child.call<PollReport>('pollReport', backoff);
  const visibility = await gateway.child.call<VisibilityReport>('visibility');
  const callbacks = await sim.child.call<{ sent: number; failed: Record<string, number> }>('callbacks');
  await ctx.close();

  const finishedAt = new Map(polls.upstreamIds.map((id, i) => [id, polls.finishedAt[i]!]));
  const delays: number[] = [];
  let notVisible = 0;
  visibility.upstreamIds.forEach((id, i) => {
    const completedAt = visibility.completedAt[i];
    if (completedAt === null || completedAt === undefined || visibility.status[i] !== 'succeeded')
      notVisible++;
    else delays.push(completedAt - finishedAt.get(id)!);
  });
  delays.sort((a, b) => a - b);
  const cpuSeconds = (gatewayAfter.cpuMs - gatewayBefore.cpuMs) / 1000;
  return {
    ...run,
    seedSeconds,
    runSeconds: (visibleAt - started) / 1000,
    copySeconds: (finished - visibleAt) / 1000,
    visible: delays.length,
    notVisible,
    delayMs: { p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays.at(-1) ?? NaN },
    pollsPerTask: polls.polls.reduce((a, b) => a + b, 0) / Math.max(1, polls.polls.length),
    earlyPolls: polls.earlyPolls.reduce((a, b) => a + b, 0),
    callbacksSent: callbacks.sent,
    callbacksFailed: callbacks.failed,
    gatewayCpuSeconds: cpuSeconds,
    gatewayCpuCores: cpuSeconds / ((finished - started) / 1000),
    gatewayPeakRssBytes: Math.max(gatewayAfter.peakRssBytes, maxRssBytes),
    simulatorCpuSeconds: (simAfter.cpuMs - simBefore.cpuMs) / 1000,
    timeline,
  };
}

function row(result: PollerRunResult): Row {
  const atScale = result.tasks >= 100_000 && !result.callbacks;
  const met =
    result.notVisible === 0 &&
    result.delayMs.p99 < 10_000 &&
    result.gatewayPeakRssBytes < 300 * 1024 * 1024 &&
    result.earlyPolls === 0;
  return {
    scenario: 'poller',
    case: `${result.tasks.toLocaleString('en-US')} tasks, ${result.callbacks ? 'callbacks' : 'polling'}`,
    reelay:
      `delay p50 ${ms(result.delayMs.p50)} p99 ${ms(result.delayMs.p99)} max ${ms(result.delayMs.max)}; ` +
      `${result.pollsPerTask.toFixed(1)} polls/task; CPU ${result.gatewayCpuSeconds.toFixed(0)} s ` +
      `(${result.gatewayCpuCores.toFixed(2)} cores); peak RSS ${megabytes(result.gatewayPeakRssBytes)}; ` +
      `copies done ${result.copySeconds.toFixed(1)} s after the last success`,
    baseline: '',
    comparison:
      `${result.notVisible} not visible; ${result.earlyPolls} early polls` +
      (result.callbacks ? `; ${result.callbacksSent.toLocaleString('en-US')} callbacks` : ''),
    target: atScale ? 'p99 < 10 s, RSS < 300 MB, 0 early' : '',
    met: atScale ? met : null,
  };
}

export async function pollerAtScale(ctx: BenchContext): Promise<ScenarioResult> {
  const sizes = ctx.pollerSizes ?? (ctx.quick ? [2_000, 10_000] : [10_000, 100_000]);
  const modes = ctx.callbackModes ?? [false, true];
  const results: PollerRunResult[] = [];
  for (const tasks of sizes) {
    for (const callbacks of modes) {
      console.error(`[bench]   ${tasks} tasks, ${callbacks ? 'callbacks on' : 'polling alone'}`);
      results.push(
        await measure(ctx, {
          tasks,
          callbacks,
          taskMinMs: Number(process.env.BENCH_TASK_MIN_MS ?? 20_000),
          taskSpreadMs: Number(process.env.BENCH_TASK_SPREAD_MS ?? (ctx.quick ? 20_000 : 40_000)),
        }),
      );
    }
  }
  return { rows: results.map(row), details: { config: pollerConfig, runs: results } };
}
