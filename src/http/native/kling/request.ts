/**
 * Kling's own create body (POST /kling/v1/videos/text2video and …/image2video), validated as Kling documents it
 * and turned into Reelay's video request: every field is honoured (sent on to the channel's vendor in Kling's
 * names, or handled by Reelay) or refused with a 400 naming it. Source of the fields: Kling's API reference
 * (app.klingai.com/global/dev/document-api, "Text to Video" / "Image to Video"; copy at WHQ25/rawgenai
 * docs/research/kling/text-to-video.md).
 */
import { z } from 'zod';
import { InvalidRequestError } from '../../../errors.js';
import type { VideoRequest } from '../../../tasks/video-request.js';
import type { WebhookTargetPolicy } from '../../../security/webhook-targets.js';
import { parseImage } from '../../../vendors/image.js';
import { klingCreateBody } from '../../../vendors/kling/types.js';
import { parseCallbackUrl } from '../../generations/request.js';
import { parseJsonObject } from '../json-object.js';

export const klingEndpoints = ['text2video', 'image2video'] as const;
export type KlingNativeEndpoint = (typeof klingEndpoints)[number];

/** Kling's create body, both endpoints (which fields apply to which is checked after parsing). */
export const klingNativeRequestSchema = klingCreateBody
  .extend({
    // Kling sends seconds as a string ("5", "10"); which lengths are possible is the serving channel's business.
    duration: z
      .string()
      .regex(/^\d{1,3}$/, 'duration is a string of whole seconds, e.g. "5"')
      .optional(),
    callback_url: z.string().max(2048).optional(),
    external_task_id: z.string().min(1).max(256).optional(),
    // Kling 2.6's voices (image2video with sound on): not carried by Reelay, so refused rather than dropped.
    voice_list: z.array(z.unknown()).optional(),
  })
  .strict();
export type KlingNativeRequest = z.infer<typeof klingNativeRequestSchema>;

/** Fields only image2video takes (Kling's docs): sent to text2video they are refused. */
const imageOnlyFields = ['image', 'image_tail', 'static_mask', 'dynamic_masks'] as const;

/** Kling's fields Reelay hands to the channel's adapter as they are (metadata, in Kling's names). */
const passedThrough = [
  'mode',
  'negative_prompt',
  'cfg_scale',
  'camera_control',
  'aspect_ratio',
  'image_tail',
  'static_mask',
  'dynamic_masks',
  'sound',
  'watermark_info',
] as const;

export function parseKlingRequest(
  body: unknown,
  endpoint: KlingNativeEndpoint,
  targets: WebhookTargetPolicy,
): VideoRequest {
  const req = parseJsonObject(klingNativeRequestSchema, body);
  checkEndpointFields(req, endpoint);
  if (req.voice_list !== undefined) {
    throw new InvalidRequestError(
      'voice_list is not supported through Reelay; omit it',
      'voice_list',
      'unsupported_parameter',
    );
  }
  if (req.model_name !== undefined && req.model !== undefined && req.model_name !== req.model) {
    throw new InvalidRequestError('model_name and model differ; send model_name', 'model');
  }
  const metadata: Record<string, unknown> = {};
  for (const field of passedThrough) if (req[field] !== undefined) metadata[field] = req[field];
  return {
    // Kling's default model when none is named.
    model: req.model_name ?? req.model ?? 'kling-v1',
    prompt: req.prompt ?? '',
    durationSeconds: req.duration === undefined ? null : Number(req.duration),
    fps: null,
    width: null,
    height: null,
    image: req.image === undefined ? null : parseImage(req.image, 'image'),
    seed: null,
    metadata,
    n: 1,
    endUser: null,
    callbackUrl: parseCallbackUrl(req.callback_url, 'callback_url', targets),
    ...(req.external_task_id !== undefined ? { clientTaskId: req.external_task_id } : {}),
  };
}

/** Kling's endpoints take different fields: text2video needs a prompt, image2video an image and no aspect ratio. */
function checkEndpointFields(req: KlingNativeRequest, endpoint: KlingNativeEndpoint): void {
  if (endpoint === 'text2video') {
    const imageField = imageOnlyFields.find((field) => req[field] !== undefined);
    if (imageField) {
      throw new InvalidRequestError(
        `${imageField} is an image2video field: POST /kling/v1/videos/image2video`,
        imageField,
      );
    }
    if (!req.prompt) throw new InvalidRequestError('prompt is required for text2video', 'prompt');
    return;
  }
  if (req.image === undefined) throw new InvalidRequestError('image (the first frame) is required', 'image');
  if (req.aspect_ratio !== undefined) {
    throw new InvalidRequestError(
      "image2video follows the image's aspect ratio: omit aspect_ratio",
      'aspect_ratio',
    );
  }
}
