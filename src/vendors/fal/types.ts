/**
 * fal's queue API (queue.fal.run), as far as Reelay reads or writes it. Sources: docs.fal.ai/model-endpoints/queue
 * (endpoints, submit answer), fal-ai/fal-js libs/client/src/types/common.ts (QueueStatus, ValidationErrorInfo,
 * WebHookResponse) and queue.ts (fal_webhook query parameter, PUT …/cancel).
 */
import type { AggregatorModel } from '../aggregator-models.js';

/**
 * The fal endpoint ids Reelay maps unified fields for (fal.ai/models/<id>/llms.txt: input schemas). Any other id
 * works with prompt + metadata.
 */
export const falModels: Record<string, AggregatorModel> = {
  // Kling: duration "5" | "10" as strings; image-to-video takes image_url and follows the image's aspect ratio.
  'fal-ai/kling-video/v2.1/standard/text-to-video': { family: 'kling', imageField: null, duration: 'string' },
  'fal-ai/kling-video/v2.1/standard/image-to-video': {
    family: 'kling',
    imageField: 'image_url',
    imageRequired: true,
    duration: 'string',
  },
  // Veo 3: duration "8s"; text-to-video also renders 1:1 (outpainted); image-to-video at /image-to-video.
  'fal-ai/veo3': {
    family: 'veo',
    imageField: null,
    duration: 'seconds',
    aspectRatios: ['16:9', '9:16', '1:1'],
  },
  'fal-ai/veo3/image-to-video': {
    family: 'veo',
    imageField: 'image_url',
    imageRequired: true,
    duration: 'seconds',
  },
  // Hailuo 02 standard: duration "6" | "10", 768p, no aspect ratio input.
  'fal-ai/minimax/hailuo-02/standard/text-to-video': {
    family: 'hailuo',
    imageField: null,
    duration: 'string',
  },
  // Wan 2.2: length set in frames (num_frames), not seconds.
  'fal-ai/wan/v2.2-a14b/text-to-video': { family: 'wan', imageField: null, duration: 'fixed' },
  'fal-ai/bytedance/seedance/v1/pro/text-to-video': {
    family: 'seedance',
    imageField: null,
    duration: 'string',
  },
};

/** The submit answer (docs.fal.ai/model-endpoints/queue: "request_id … response_url, status_url, cancel_url"). */
export interface FalSubmitAnswer {
  request_id: string;
  response_url: string;
  status_url: string;
  cancel_url: string;
  queue_position?: number;
}

/** fal-js types/common.ts QueueStatus. */
export interface FalQueueStatus {
  status: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';
  request_id?: string;
  queue_position?: number;
  response_url?: string;
  logs?: { message: string; timestamp?: string }[] | null;
}

/** fal-js ValidationErrorInfo; docs.fal.ai/errors adds `url` and `ctx`. */
export interface FalErrorInfo {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** A model error body (422 and others): `detail` is a list of errors, or a plain string (request errors). */
export interface FalErrorBody {
  detail: FalErrorInfo[] | string;
  error_type?: string;
}

/** What the result (response_url) of a video endpoint holds: `video` is a fal File. */
export interface FalVideoResult {
  video: { url: string; content_type?: string; file_size?: number; file_name?: string };
  seed?: number;
}
