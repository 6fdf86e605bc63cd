/** Jobs and a driver for the aggregator adapters (fal, Replicate) against their simulators, over real HTTP. */
import { plainJob } from '../../src/vendors/video-job.js';
import type { VendorAdapter, VendorCall, VideoJob } from '../../src/vendors/adapter.js';
import { Wire } from '../../src/vendors/wire.js';
import type { RunningSimulator } from '../../src/simulator/server.js';

/** A 1x1 PNG as raw base64. */
export const pngBase64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** A unified job for an upstream model, as the engine hands it to an adapter. */
export function jobFor(upstreamModel: string, fields: Partial<VideoJob> = {}): VideoJob {
  return plainJob(upstreamModel, 'a lighthouse at dusk', { externalId: 'job_test', ...fields });
}

/** Sends an adapter's calls to the simulator as the engine does (sign, wire), keeping each job's poll context. */
export class AdapterDriver<C> {
  readonly wire = new Wire();
  constructor(
    readonly adapter: VendorAdapter<C>,
    readonly sim: RunningSimulator,
    readonly credentials: C,
  ) {}

  async send(call: VendorCall, credentials = this.credentials) {
    return this.wire.send(
      await this.adapter.sign(call, this.sim.baseUrl(this.adapter.vendor), credentials, this.wire),
    );
  }

  /** Submits; accepted jobs come back with their id and full poll context. */
  async submit(job: VideoJob, credentials = this.credentials) {
    const prepared = this.adapter.prepareSubmit(job);
    const outcome = this.adapter.readSubmit(await this.send(prepared.call, credentials));
    const pollContext = {
      ...prepared.pollContext,
      ...(outcome.kind === 'accepted' ? outcome.pollContext : {}),
    };
    return { prepared, outcome, pollContext };
  }

  async accepted(job: VideoJob) {
    const { outcome, pollContext } = await this.submit(job);
    if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
    return { id: outcome.upstreamTaskId, pollContext };
  }

  /** One poll as the engine makes it, follow calls included. */
  async poll(id: string, pollContext: Record<string, string>, credentials = this.credentials) {
    let outcome = this.adapter.readPoll(
      await this.send(this.adapter.preparePoll(id, pollContext), credentials),
      pollContext,
    );
    for (let follows = 0; outcome.kind === 'follow' && follows < 3; follows++)
      outcome = this.adapter.readPoll(await this.send(outcome.call, credentials), pollContext);
    return outcome;
  }

  async cancel(id: string, pollContext: Record<string, string>) {
    return this.adapter.readCancel!(await this.send(this.adapter.prepareCancel!(id, pollContext)));
  }

  /** Moves a simulated task to this fraction of its run time. */
  advance(id: string, fraction: number) {
    const task = this.sim.world.tasks.get(id)!;
    task.createdAt = Date.now() - fraction * task.durationMs;
  }

  /** What the simulator received as the latest task's request. */
  lastRequest(): Record<string, unknown> {
    return [...this.sim.world.tasks.values()].filter((t) => t.vendor === this.adapter.vendor).at(-1)!.request;
  }

  close() {
    return this.wire.close();
  }
}
