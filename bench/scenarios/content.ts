/**
 * Content path: a 50 MB video through GET /v1/videos/{id}/content against the same file fetched from the
 * simulator directly. Twice: re-hosted (Reelay streams its own stored copy, the default) and passed through
 * (REHOST_CONTENT=false: Reelay streams the vendor's file as it arrives). The gateway's memory must stay flat.
 */
import { sampleRss } from '../child.js';
import { BenchContext, finishedTask, megabytes, ratio, type Row, type ScenarioResult } from '../context.js';
import type { LoadResult } from '../load-process.js';

const videoBytes = 50 * 1024 * 1024;
/** Downloads at once. */
const connections = 2;

const rounds = 3;

const gbits = (bytesPerSecond: number) => `${((bytesPerSecond * 8) / 1e9).toFixed(2)} Gbit/s`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function contentPath(ctx: BenchContext): Promise<ScenarioResult> {
  const sim = await ctx.simulator({ taskDurationMs: 100, taskJitterMs: 0, videoBytes });
  const gateway = await ctx.gateway(sim.url, { POLL_INITIAL_DELAY_MS: 50, POLL_TICK_MS: 20 });
  const rehostedTask = await finishedTask(gateway.url, gateway.apiKey);
  await gateway.child.call('configure', { REHOST_CONTENT: false });
  const passedTask = await finishedTask(gateway.url, gateway.apiKey);
  const directUrl = await gateway.child.call<string>('resultUrl', { taskId: passedTask });
  const load = await ctx.loadGenerator();
  const auth = { authorization: `Bearer ${gateway.apiKey}` };
  const common = { connections, durationSeconds: ctx.loadSeconds };

  const cases = [
    { name: 're-hosted', url: `${gateway.url}/v1/videos/${rehostedTask}/content`, headers: auth },
    { name: 'passed through', url: `${gateway.url}/v1/videos/${passedTask}/content`, headers: auth },
  ];
  for (const target of [{ url: directUrl }, ...cases])
    await load({ ...common, ...target, durationSeconds: 1 });
  const idleRssBytes = gateway.child.usage().rssBytes;
  // Large transfers on this machine vary from run to run: rounds of direct and through Reelay, compared per round.
  const direct: LoadResult[] = [];
  const measured = cases.map(() => ({ runs: [] as LoadResult[], maxRssBytes: 0 }));
  for (let round = 0; round < rounds; round++) {
    direct.push(await load({ ...common, url: directUrl }));
    for (const [i, target] of cases.entries()) {
      const { result, maxRssBytes } = await sampleRss(gateway.child, () => load({ ...common, ...target }));
      measured[i]!.runs.push(result);
      measured[i]!.maxRssBytes = Math.max(measured[i]!.maxRssBytes, maxRssBytes);
    }
  }
  const directBytes = median(direct.map((r) => r.bytesPerSecond));
  const rows: Row[] = cases.map(({ name }, i) => {
    const { runs, maxRssBytes } = measured[i]!;
    // Each round's ratio, then the median: the machine's speed drifts between rounds, less within one.
    const measuredRatio = median(runs.map((r, round) => r.bytesPerSecond / direct[round]!.bytesPerSecond));
    return {
      scenario: 'content',
      case: `50 MB, ${name}`,
      reelay: `${gbits(median(runs.map((r) => r.bytesPerSecond)))}; RSS ${megabytes(idleRssBytes)} before, max ${megabytes(maxRssBytes)}`,
      baseline: gbits(directBytes),
      comparison: ratio(measuredRatio),
      target: '≥ 0.80×, RSS flat',
      // Flat: streaming 50 MB files must not hold them in memory (a file's worth of growth would show).
      met:
        measuredRatio >= 0.8 &&
        maxRssBytes - idleRssBytes < videoBytes &&
        runs.every((r) => r.failures === 0),
    };
  });
  const runs = { direct, ...Object.fromEntries(cases.map(({ name }, i) => [name, measured[i]])) };
  return { rows, details: { videoBytes, connections, rounds, idleRssBytes, runs } };
}
