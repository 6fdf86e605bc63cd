/**
 * Submit path: POST /v1/video/generations through Reelay against the same submit sent straight to the Kling
 * simulator, at 1 and 64 concurrent clients. What Reelay adds is the difference in latency.
 */
import { BenchContext, klingRequest, ms, perSecond, type Row, type ScenarioResult } from '../context.js';
import type { LoadResult } from '../load-process.js';

const clientCounts = [1, 64];
/** Tasks and polls stay out of the way: nothing finishes or is polled while submits are measured. */
const hourMs = 3_600_000;

export async function submitPath(ctx: BenchContext): Promise<ScenarioResult> {
  const sim = await ctx.simulator({ taskDurationMs: hourMs, taskJitterMs: 0 });
  const gateway = await ctx.gateway(sim.url, { POLL_INITIAL_DELAY_MS: hourMs });
  const load = await ctx.loadGenerator();
  const reelayLoad = {
    url: `${gateway.url}/v1/video/generations`,
    method: 'POST' as const,
    headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(klingRequest),
  };
  // What Reelay itself sends Kling for this request (adapters/kling: mode, duration as a string, aspect ratio).
  const directLoad = {
    url: `${sim.url}/kling/v1/videos/text2video`,
    method: 'POST' as const,
    headers: { authorization: `Bearer ${sim.klingToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model_name: klingRequest.model,
      prompt: klingRequest.prompt,
      mode: 'std',
      duration: String(klingRequest.duration),
      aspect_ratio: '16:9',
    }),
  };

  const rows: Row[] = [];
  const runs: { clients: number; reelay: LoadResult; direct: LoadResult }[] = [];
  for (const connections of clientCounts) {
    const common = { connections, durationSeconds: ctx.loadSeconds };
    await load({ ...reelayLoad, ...common, durationSeconds: 1 });
    const reelay = await load({ ...reelayLoad, ...common });
    await load({ ...directLoad, ...common, durationSeconds: 1 });
    const direct = await load({ ...directLoad, ...common });
    runs.push({ clients: connections, reelay, direct });
    const addedP50 = reelay.latency.p50 - direct.latency.p50;
    const addedP99 = reelay.latency.p99 - direct.latency.p99;
    rows.push({
      scenario: 'submit',
      case: `${connections} client${connections > 1 ? 's' : ''}`,
      reelay: `${perSecond(reelay.rps)} p50 ${ms(reelay.latency.p50)} p99 ${ms(reelay.latency.p99)}`,
      baseline: `${perSecond(direct.rps)} p50 ${ms(direct.latency.p50)} p99 ${ms(direct.latency.p99)}`,
      comparison: `+${ms(addedP50)} p50, +${ms(addedP99)} p99`,
      target: connections === 1 ? 'p50 ≤ +2 ms' : '',
      met: connections === 1 ? addedP50 <= 2 && reelay.failures === 0 : null,
    });
  }
  return { rows, details: { runs } };
}
