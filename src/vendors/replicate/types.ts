/**
 * Replicate's predictions API (api.replicate.com/v1), as far as Reelay reads or writes it. Sources:
 * replicate/replicate-javascript lib/predictions.js (create by model or version, Prefer: wait, cancel) and index.d.ts
 * (Prediction), replicate.com/docs/topics/predictions/create-a-prediction, …/data-retention (outputs deleted after an
 * hour), and each model's API page (replicate.com/<owner>/<name>/api: input schema).
 */
import type { AggregatorModel } from '../aggregator-models.js';

/** The Replicate models Reelay maps unified fields for; any other `owner/name[:version]` works with prompt + metadata. */
export const replicateModels: Record<string, AggregatorModel> = {
  // replicate.com/kwaivgi/kling-v2.1/api: start_image required (image-to-video), duration 5 | 10.
  'kwaivgi/kling-v2.1': {
    family: 'kling',
    imageField: 'start_image',
    imageRequired: true,
    duration: 'number',
  },
  // …/kling-v2.1-master/api: text-to-video with aspect_ratio, or start_image (aspect ratio then ignored).
  'kwaivgi/kling-v2.1-master': { family: 'kling', imageField: 'start_image', duration: 'number' },
  // replicate.com/google/veo-3/api: image optional, duration 8, resolution 720p | 1080p, seed.
  'google/veo-3': { family: 'veo', imageField: 'image', duration: 'number' },
  // …/minimax/hailuo-02/api: first_frame_image, duration 6 | 10.
  'minimax/hailuo-02': { family: 'hailuo', imageField: 'first_frame_image', duration: 'number' },
  // …/wan-video/wan-2.2-t2v-fast/api: text only, length in frames.
  'wan-video/wan-2.2-t2v-fast': { family: 'wan', imageField: null, duration: 'fixed' },
  // …/bytedance/seedance-1-pro/api: image optional, duration in seconds.
  'bytedance/seedance-1-pro': { family: 'seedance', imageField: 'image', duration: 'number' },
};

export type ReplicateStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

/** replicate-javascript index.d.ts Prediction (the fields Reelay reads). */
export interface ReplicatePrediction {
  id: string;
  status: ReplicateStatus;
  model?: string;
  version?: string;
  output?: unknown;
  error?: unknown;
  logs?: string;
  data_removed?: boolean;
  metrics?: { predict_time?: number; total_time?: number };
  urls?: { get: string; cancel: string };
}

/** Replicate's error body: RFC 7807 problem JSON ({title, detail, status}); 422 also lists invalid_fields. */
export interface ReplicateProblem {
  title?: string;
  detail?: string;
  status?: number;
  invalid_fields?: { type?: string; field?: string; description?: string }[];
}
