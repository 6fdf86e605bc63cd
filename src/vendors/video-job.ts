/** Building a VideoJob from a few fields: the channel check's probe, and tests. */
import type { VideoJob } from './adapter.js';

/**
 * A job of `upstreamModel` with only a prompt: no size, duration, image, seed or metadata unless `fields` give them.
 * The client's model name is the upstream one unless given.
 */
export function plainJob(upstreamModel: string, prompt: string, fields: Partial<VideoJob> = {}): VideoJob {
  return {
    model: upstreamModel,
    upstreamModel,
    prompt,
    durationSeconds: null,
    fps: null,
    width: null,
    height: null,
    image: null,
    seed: null,
    metadata: {},
    externalId: `job_${Math.random().toString(36).slice(2)}`,
    ...fields,
  };
}
