/** Inputs the Veo, Vertex, Runway and Luma tests share. */
import { plainJob } from '../../src/vendors/video-job.js';
import { adapterFor } from '../../src/vendors/registry.js';
import type { Harness } from './harness.js';
import type { VendorAdapter, VendorCall, VideoJob } from '../../src/vendors/adapter.js';
import type { Wire } from '../../src/vendors/wire.js';
import type { RunningSimulator } from '../../src/simulator/server.js';

/** A 1x1 PNG as raw base64 (Veo takes image bytes). */
export const pngBase64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
/** An image URL (Luma fetches keyframes itself; the simulator does not fetch). */
export const imageUrl = 'https://example.com/first.png';

/** Per vendor: a text-to-video request and an image-to-video one that the vendor takes. */
export const westRequests = {
  veo: {
    text: {
      model: 'veo-3.1-fast-generate-preview',
      prompt: 'a lighthouse at dusk',
      size: '1280x720',
      duration: 8,
    },
    image: {
      model: 'veo-3.0-generate-001',
      prompt: 'waves',
      image: `data:image/png;base64,${pngBase64}`,
      duration: 4,
    },
  },
  vertex: {
    text: {
      model: 'veo-3.1-generate-preview',
      prompt: 'a lighthouse at dusk',
      size: '1920x1080',
      duration: 8,
      seed: 42,
    },
    image: { model: 'veo-2.0-generate-001', prompt: 'waves', image: pngBase64, duration: 5 },
  },
  runway: {
    text: { model: 'gen4.5', prompt: 'a lighthouse at dusk', size: '1280x720', duration: 5, seed: 7 },
    image: {
      model: 'gen4_turbo',
      prompt: 'waves',
      image: `data:image/png;base64,${pngBase64}`,
      size: '960x960',
    },
  },
  luma: {
    text: { model: 'ray-2', prompt: 'a lighthouse at dusk', size: '1920x1080', duration: 9 },
    image: { model: 'ray-flash-2', prompt: 'waves', image: imageUrl, metadata: { loop: true } },
  },
} as const;

export type WestVendor = keyof typeof westRequests;
export const westVendors = Object.keys(westRequests) as WestVendor[];

/** The model name under which a test's channel serves a vendor's model: Veo and Vertex share model names. */
export const aliasOf = (vendor: string, model: string) => `${vendor}-${model}`;

/** One channel per vendor on the simulators, each serving every model of its vendor under the vendor's alias. */
export async function addWestChannels(h: Harness): Promise<void> {
  for (const vendor of westVendors) {
    const models = adapterFor(vendor)!.models;
    await h.channel(vendor, {
      models: models.map((m) => aliasOf(vendor, m)),
      model_mapping: Object.fromEntries(models.map((m) => [aliasOf(vendor, m), m])),
    });
  }
}

/** A job as the engine hands it to an adapter (no size, duration or image unless given). */
export function jobOf(job: Partial<VideoJob> & { upstreamModel: string }): VideoJob {
  return plainJob(job.upstreamModel, 'a lighthouse at dusk', { externalId: 'job_test', ...job });
}

/** An adapter driven against its simulator over real HTTP, as the engine drives it. */
export function drive<C>(adapter: VendorAdapter<C>, sim: RunningSimulator, wire: Wire, credentials: () => C) {
  const send = async (call: VendorCall) =>
    wire.send(await adapter.sign(call, sim.baseUrl(adapter.vendor), credentials(), wire));
  return {
    send,
    submit: async (job: VideoJob) => adapter.readSubmit(await send(adapter.prepareSubmit(job).call)),
    poll: async (upstreamTaskId: string) =>
      adapter.readPoll(await send(adapter.preparePoll(upstreamTaskId, {})), {}),
    async accepted(job: VideoJob): Promise<string> {
      const outcome = await this.submit(job);
      if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
      return outcome.upstreamTaskId;
    },
    /** Moves the vendor's task to this fraction of its run time. */
    advance(upstreamTaskId: string, fraction: number) {
      const task = [...sim.world.tasks.values()].find((t) => upstreamTaskId.endsWith(t.id))!;
      task.createdAt = Date.now() - fraction * task.durationMs;
    },
  };
}
