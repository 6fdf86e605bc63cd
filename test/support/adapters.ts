/** Driving one vendor adapter against its simulator over real HTTP, as core/jobs.ts does, for adapter tests. */
import { plainJob } from '../../src/vendors/video-job.js';
import { ApiError } from '../../src/vendors/errors.js';
import {
  maxFollowCalls,
  type PollOutcome,
  type SubmitOutcome,
  type VendorAdapter,
  type VendorCall,
  type VideoJob,
} from '../../src/vendors/adapter.js';
import { Wire } from '../../src/vendors/wire.js';
import type { RunningSimulator } from '../../src/simulator/server.js';

/** A text-to-video job for `model` with nothing else asked; override what a test is about. */
export function videoJob(model: string, overrides: Partial<VideoJob> = {}): VideoJob {
  return plainJob(model, 'a cat walking on the moon', overrides);
}

/** The `param` of the 400 that `fn` throws (fails the test when it throws nothing or something else). */
export function paramOf(fn: () => unknown): string | null {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 400) return err.param;
    throw err;
  }
  throw new Error('expected a 400');
}

export interface AdapterDriver {
  send(call: VendorCall, credentials?: unknown): ReturnType<Wire['send']>;
  submit(job: VideoJob, credentials?: unknown): Promise<SubmitOutcome>;
  /** Submits and returns the vendor's task id and poll context (throws unless accepted). */
  accepted(job: VideoJob): Promise<{ id: string; context: Record<string, string> }>;
  /** One poll, following the calls the answer points at, as the engine does. */
  poll(id: string, context?: Record<string, string>, credentials?: unknown): Promise<PollOutcome>;
  /** Moves a simulated task to this fraction of its run time. */
  advance(id: string, fraction: number): void;
  close(): Promise<void>;
}

export function driveAdapter<C>(
  adapter: VendorAdapter<C>,
  sim: RunningSimulator,
  defaultCredentials: C,
  basePath = '',
): AdapterDriver {
  const wire = new Wire();
  const baseUrl = sim.baseUrl(adapter.vendor) + basePath;
  const send = async (call: VendorCall, credentials: unknown = defaultCredentials) =>
    wire.send(await adapter.sign(call, baseUrl, credentials as C, wire));
  const submit = async (job: VideoJob, credentials?: unknown) =>
    adapter.readSubmit(await send(adapter.prepareSubmit(job).call, credentials));
  return {
    send,
    submit,
    async accepted(job) {
      const prepared = adapter.prepareSubmit(job);
      const outcome = adapter.readSubmit(await send(prepared.call));
      if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
      return { id: outcome.upstreamTaskId, context: { ...prepared.pollContext, ...outcome.pollContext } };
    },
    async poll(id, context = {}, credentials) {
      let outcome = adapter.readPoll(await send(adapter.preparePoll(id, context), credentials), context);
      for (let follows = 0; outcome.kind === 'follow' && follows < maxFollowCalls; follows++) {
        outcome = adapter.readPoll(await send(outcome.call, credentials), context);
      }
      return outcome;
    },
    advance(id, fraction) {
      const task = sim.world.tasks.get(id)!;
      task.createdAt = Date.now() - fraction * task.durationMs;
    },
    close: () => wire.close(),
  };
}
