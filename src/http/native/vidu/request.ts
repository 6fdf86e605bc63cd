/**
 * Vidu's own create bodies (POST /ent/v2/text2video, img2video, start-end2video, reference2video), validated as
 * Vidu documents them and turned into Reelay's video request: the endpoint becomes `metadata.action`, the images
 * frames or references, and Vidu's other fields go on to the channel's adapter in Vidu's names, which refuses any
 * the endpoint does not take. Source: Vidu's API reference (platform.vidu.cn, "文生视频", "图生视频", "首尾帧",
 * "参考生视频"; copy at ZeoXel/SUNSTUDIO docs/vidu.md).
 */
import { z } from 'zod';
import { InvalidRequestError } from '../../../errors.js';
import type { VideoRequest } from '../../../tasks/video-request.js';
import type { WebhookTargetPolicy } from '../../../security/webhook-targets.js';
import { viduCreateBody, type ViduEndpoint } from '../../../vendors/vidu/types.js';
import { parseCallbackUrl } from '../../generations/request.js';
import { parseJsonObject } from '../json-object.js';

/** Vidu's create body, all four endpoints; reference2video's `subjects` variant is refused (not carried). */
export const viduNativeRequestSchema = viduCreateBody
  .extend({
    model: z.string().min(1).max(200),
    images: z.array(z.string().min(1)).min(1).max(7).optional(),
    callback_url: z.string().max(2048).optional(),
    subjects: z.array(z.unknown()).optional(),
  })
  .strict();
export type ViduNativeRequest = z.infer<typeof viduNativeRequestSchema>;

/** The fields Reelay reads itself; every other Vidu field goes to the adapter as it is (it checks each per endpoint). */
const readByReelay = new Set(['model', 'prompt', 'images', 'duration', 'seed', 'callback_url']);
const passedThrough = Object.keys(viduCreateBody.shape).filter(
  (field) => !readByReelay.has(field),
) as Exclude<
  keyof ViduNativeRequest,
  'model' | 'prompt' | 'images' | 'duration' | 'seed' | 'callback_url' | 'subjects'
>[];

export function parseViduRequest(
  body: unknown,
  endpoint: ViduEndpoint,
  targets: WebhookTargetPolicy,
): VideoRequest {
  const req = parseJsonObject(viduNativeRequestSchema, body);
  if (req.subjects !== undefined) {
    throw new InvalidRequestError(
      'subjects is not supported through Reelay; send the reference images as images',
      'subjects',
      'unsupported_parameter',
    );
  }
  if ((endpoint === 'text2video' || endpoint === 'reference2video') && !req.prompt) {
    throw new InvalidRequestError(`prompt is required for ${endpoint}`, 'prompt');
  }
  if (endpoint === 'text2video' && req.images !== undefined) {
    throw new InvalidRequestError('text2video takes no images: POST /ent/v2/img2video', 'images');
  }
  if (endpoint !== 'text2video' && req.images === undefined) {
    throw new InvalidRequestError(`images is required for ${endpoint}`, 'images');
  }
  const metadata: Record<string, unknown> = { action: endpoint };
  // Frames for img2video and start-end2video; references for reference2video (the adapter's names).
  if (req.images) metadata[endpoint === 'reference2video' ? 'reference_images' : 'images'] = req.images;
  for (const field of passedThrough) if (req[field] !== undefined) metadata[field] = req[field];
  return {
    model: req.model,
    prompt: req.prompt ?? '',
    durationSeconds: req.duration ?? null,
    fps: null,
    width: null,
    height: null,
    image: null,
    seed: req.seed ?? null,
    metadata,
    n: 1,
    endUser: null,
    callbackUrl: parseCallbackUrl(req.callback_url, 'callback_url', targets),
  };
}
