/**
 * Query path: GET /v1/video/generations/{id} of a finished task, against a bare node:http server answering the
 * same JSON from memory, at 1, 16 and 128 connections; and at 16 with Reelay's read caches off.
 */
import {
  BenchContext,
  finishedTask,
  httpJson,
  ms,
  perSecond,
  ratio,
  type Row,
  type ScenarioResult,
} from '../context.js';
import type { LoadResult } from '../load-process.js';

const connectionCounts = [1, 16, 128];

export async function queryPath(ctx: BenchContext): Promise<ScenarioResult> {
  const sim = await ctx.simulator({ taskDurationMs: 100, taskJitterMs: 0 });
  const gateway = await ctx.gateway(sim.url, { POLL_INITIAL_DELAY_MS: 50, POLL_TICK_MS: 20 });
  const taskId = await finishedTask(gateway.url, gateway.apiKey);
  const taskUrl = `${gateway.url}/v1/video/generations/${taskId}`;
  const answer = await httpJson(taskUrl, { token: gateway.apiKey });
  const baseline = await ctx.baseline(answer.text);
  const load = await ctx.loadGenerator();

  const rows: Row[] = [];
  const runs: { connections: number; reelay: LoadResult; baseline: LoadResult }[] = [];
  for (const connections of connectionCounts) {
    const common = { connections, durationSeconds: ctx.loadSeconds };
    const reelayLoad = { ...common, url: taskUrl, headers: { authorization: `Bearer ${gateway.apiKey}` } };
    // A short warm-up of each (JIT, connection pools), then the measured runs.
    await load({ ...reelayLoad, durationSeconds: 1 });
    const reelay = await load(reelayLoad);
    await load({ ...common, url: baseline.url, durationSeconds: 1 });
    const bare = await load({ ...common, url: baseline.url });
    runs.push({ connections, reelay, baseline: bare });
    const throughput = reelay.rps / bare.rps;
    rows.push({
      scenario: 'query',
      case: `${connections} conn`,
      reelay: `${perSecond(reelay.rps)} p50 ${ms(reelay.latency.p50)} p99 ${ms(reelay.latency.p99)}`,
      baseline: `${perSecond(bare.rps)} p50 ${ms(bare.latency.p50)} p99 ${ms(bare.latency.p99)}`,
      comparison: ratio(throughput),
      target: connections === 16 ? '≥ 0.50×' : '',
      met: connections === 16 ? throughput >= 0.5 && reelay.failures === 0 : null,
    });
  }

  // The same at 16 connections with the read caches off (CACHE_TTL_MS=0): what a task that is still running,
  // or read for the first time, costs (the API key, the task and its jobs from the database).
  const uncached = await ctx.gateway(sim.url, {
    POLL_INITIAL_DELAY_MS: 50,
    POLL_TICK_MS: 20,
    CACHE_TTL_MS: 0,
  });
  const uncachedTask = await finishedTask(uncached.url, uncached.apiKey);
  const uncachedLoad = {
    connections: 16,
    durationSeconds: ctx.loadSeconds,
    url: `${uncached.url}/v1/video/generations/${uncachedTask}`,
    headers: { authorization: `Bearer ${uncached.apiKey}` },
  };
  await load({ ...uncachedLoad, durationSeconds: 1 });
  const fromDatabase = await load(uncachedLoad);
  await load({ connections: 16, durationSeconds: 1, url: baseline.url });
  const bare16 = await load({ connections: 16, durationSeconds: ctx.loadSeconds, url: baseline.url });
  rows.push({
    scenario: 'query',
    case: '16 conn, caches off',
    reelay: `${perSecond(fromDatabase.rps)} p50 ${ms(fromDatabase.latency.p50)} p99 ${ms(fromDatabase.latency.p99)}`,
    baseline: `${perSecond(bare16.rps)} p50 ${ms(bare16.latency.p50)} p99 ${ms(bare16.latency.p99)}`,
    comparison: ratio(fromDatabase.rps / bare16.rps),
    target: '',
    met: null,
  });
  return {
    rows,
    details: { answerBytes: answer.text.length, runs, uncached: { fromDatabase, baseline: bare16 } },
  };
}
