/** Kling (Kuaishou): JWT auth, text2video / image2video, statuses submitted → processing → succeed | failed. */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { imageAsUrlOrRawBase64, parseImage } from '../image.js';
import type {
  ModelCapabilities,
  PollOutcome,
  PreparedSubmit,
  VendorAdapter,
  VendorAnswer,
  VendorRejection,
  VendorTrouble,
  VendorWarning,
  VideoJob,
} from '../adapter.js';
import { isObject, retryAfterMs, troubleFromStatus } from '../answers.js';
import { dimensionsFor, nearestAspectRatio, parseMetadata } from '../mapping.js';
import { klingToken, type KlingCredentials } from './auth.js';
import {
  klingAspectRatios,
  klingCameraControl,
  klingDurations,
  klingImageOnlyModels,
  klingModels,
  type KlingCreateBody,
  type KlingEndpoint,
  type KlingEnvelope,
  type KlingTaskData,
} from './types.js';
import { jsonCall } from '../calls.js';

/**
 * What each Kling model takes (Kling API docs: duration "5" | "10", aspect_ratio 16:9 | 9:16 | 1:1, image and
 * image_tail on image2video; some models on image2video only). prepareSubmit checks against this very table.
 */
function klingCapabilities(model: string): ModelCapabilities {
  return {
    durations: klingDurations,
    aspectRatios: klingAspectRatios,
    images: {
      firstFrame: true,
      lastFrame: true,
      references: 0,
      required: klingImageOnlyModels.includes(model),
    },
  };
}

/** The metadata keys a client may send for Kling, in Kling's own names. */
const klingMetadata = z
  .object({
    mode: z.enum(['std', 'pro']).optional(),
    negative_prompt: z.string().max(2500).optional(),
    cfg_scale: z.number().min(0).max(1).optional(),
    camera_control: klingCameraControl.optional(),
    aspect_ratio: z.enum(klingAspectRatios).optional(),
    image_tail: z.string().min(1).optional(),
    static_mask: z.string().min(1).optional(),
    dynamic_masks: z.array(z.unknown()).max(6).optional(),
    sound: z.enum(['on', 'off']).optional(),
    watermark_info: z.object({ enabled: z.boolean() }).strict().optional(),
    // Kling has no seed; accepted so that the seed's example works, and reported as not honoured.
    seed: z.number().int().optional(),
  })
  .strict();

/** Output short side by mode: std renders 720p, pro 1080p. */
const shortSideByMode = { std: 720, pro: 1080 } as const;

/** Kling business codes (body `code`) and what they mean for Reelay. */
function klingCodeOutcome(
  code: number,
  message: string,
  answer: VendorAnswer,
): VendorRejection | VendorTrouble {
  const text = `Kling ${code}: ${message}`;
  if (code >= 1000 && code <= 1004) return { kind: 'channel_broken', message: `${text} (authentication)` };
  if (code >= 1100 && code <= 1103) return { kind: 'channel_broken', message: `${text} (account)` };
  if (code === 1304) return { kind: 'channel_broken', message: `${text} (IP allow-list)` };
  if (code === 1300 || code === 1301)
    return { kind: 'rejected', code: 'content_policy_violation', message: text };
  if (code === 1200 || code === 1201)
    return { kind: 'rejected', code: 'vendor_invalid_request', message: text };
  if (code === 1202 || code === 1203)
    return { kind: 'channel_broken', message: `${text} (model or endpoint unknown)` };
  if (code === 1302 || code === 1303)
    return { kind: 'retry_later', message: text, retryAfterMs: retryAfterMs(answer) };
  return { kind: 'retry_later', message: text, retryAfterMs: retryAfterMs(answer) };
}

function readEnvelope(answer: VendorAnswer): KlingEnvelope<KlingTaskData> | null {
  const body = answer.json;
  if (!isObject(body) || typeof body.code !== 'number') return null;
  return body as unknown as KlingEnvelope<KlingTaskData>;
}

const endpointOf = (pollContext: Record<string, string>): KlingEndpoint =>
  pollContext.endpoint === 'image2video' ? 'image2video' : 'text2video';

export const klingAdapter: VendorAdapter<KlingCredentials> = {
  vendor: 'kling',
  credentials: z.object({ access_key: z.string().min(1), secret_key: z.string().min(1) }).strict(),
  defaultBaseUrl: 'https://api-singapore.klingai.com',
  models: klingModels,
  capabilities: klingCapabilities,

  prepareSubmit(job: VideoJob): PreparedSubmit {
    const meta = parseMetadata(klingMetadata, job.metadata);
    const warnings: VendorWarning[] = [];
    if (job.prompt.length > 2500)
      throw new InvalidRequestError('Kling accepts prompts of at most 2500 characters', 'prompt');
    if (job.fps !== null)
      throw new InvalidRequestError('Kling does not let the frame rate be chosen; omit fps', 'fps');

    const can = klingCapabilities(job.upstreamModel);
    const durations = can.durations ?? klingDurations;
    const duration = job.durationSeconds ?? durations[0]!;
    if (!durations.includes(duration)) {
      throw new InvalidRequestError(
        `Kling renders ${durations.join(' or ')} second videos, not ${duration}`,
        'duration',
      );
    }
    if (job.seed !== null || meta.seed !== undefined) {
      warnings.push({
        feature: 'seed',
        details: 'Kling has no seed parameter: the seed was not sent and the result is not reproducible',
      });
    }
    if (meta.image_tail && !job.image) {
      throw new InvalidRequestError(
        'metadata.image_tail (the last frame) needs image (the first frame)',
        'metadata.image_tail',
      );
    }

    const mode = meta.mode ?? 'std';
    const endpoint: KlingEndpoint = job.image ? 'image2video' : 'text2video';
    if (endpoint === 'text2video' && can.images.required) {
      throw new InvalidRequestError(
        `Kling ${job.upstreamModel} makes videos from an image only: send image (the first frame)`,
        'image',
      );
    }
    const body: KlingCreateBody = {
      model_name: job.upstreamModel,
      prompt: job.prompt,
      mode,
      duration: String(duration) as '5' | '10',
      external_task_id: job.externalId,
    };
    if (meta.negative_prompt !== undefined) body.negative_prompt = meta.negative_prompt;
    if (meta.cfg_scale !== undefined) body.cfg_scale = meta.cfg_scale;
    if (meta.camera_control !== undefined) body.camera_control = meta.camera_control;
    if (meta.sound !== undefined) body.sound = meta.sound;
    if (meta.watermark_info !== undefined) body.watermark_info = meta.watermark_info;
    if (job.vendorCallbackUrl) body.callback_url = job.vendorCallbackUrl;

    let aspect: string | null = null;
    if (endpoint === 'text2video') {
      const fromSize =
        job.width && job.height ? nearestAspectRatio(job.width, job.height, klingAspectRatios) : null;
      if (meta.aspect_ratio && fromSize && meta.aspect_ratio !== fromSize) {
        throw new InvalidRequestError(
          `metadata.aspect_ratio ${meta.aspect_ratio} contradicts the requested size (${job.width}x${job.height})`,
          'metadata.aspect_ratio',
        );
      }
      aspect = meta.aspect_ratio ?? fromSize ?? '16:9';
      body.aspect_ratio = aspect as KlingCreateBody['aspect_ratio'];
    } else {
      // Kling image-to-video follows the image's aspect ratio and takes images as raw base64 (no data: prefix).
      body.image = imageAsUrlOrRawBase64(job.image!);
      if (meta.image_tail)
        body.image_tail = imageAsUrlOrRawBase64(parseImage(meta.image_tail, 'metadata.image_tail'));
      if (meta.static_mask)
        body.static_mask = imageAsUrlOrRawBase64(parseImage(meta.static_mask, 'metadata.static_mask'));
      if (meta.dynamic_masks) body.dynamic_masks = meta.dynamic_masks as KlingCreateBody['dynamic_masks'];
      if (job.width !== null || meta.aspect_ratio) {
        warnings.push({
          feature: 'size',
          details:
            "Kling image-to-video follows the input image's aspect ratio: the requested size was not sent",
        });
      }
    }
    const produced = aspect ? dimensionsFor(aspect, shortSideByMode[mode]) : null;

    return {
      call: { method: 'POST', path: `/v1/videos/${endpoint}`, body },
      pollContext: { endpoint },
      expected: {
        durationSeconds: duration,
        fps: null,
        width: produced?.width ?? null,
        height: produced?.height ?? null,
        seed: null,
        shortSide: shortSideByMode[mode],
      },
      warnings,
    };
  },

  readSubmit(answer) {
    const envelope = readEnvelope(answer);
    if (!envelope) return troubleFromStatus(answer, 'Kling submit');
    if (envelope.code !== 0) return klingCodeOutcome(envelope.code, envelope.message, answer);
    const taskId = envelope.data?.task_id;
    if (typeof taskId !== 'string' || taskId.length === 0) {
      return { kind: 'retry_later', message: 'Kling submit: accepted without a task_id' };
    }
    return { kind: 'accepted', upstreamTaskId: taskId };
  },

  preparePoll(upstreamTaskId, pollContext) {
    return {
      method: 'GET',
      path: `/v1/videos/${endpointOf(pollContext)}/${encodeURIComponent(upstreamTaskId)}`,
    };
  },

  // Kling calls back on every status change, "processing" included: only a later status can end the task.
  callbackWorthAPoll(body) {
    const status = (body as { task_status?: unknown } | null | undefined)?.task_status;
    return status !== 'submitted' && status !== 'processing';
  },

  readPoll(answer): PollOutcome {
    const envelope = readEnvelope(answer);
    if (!envelope) return troubleFromStatus(answer, 'Kling poll');
    if (envelope.code !== 0) {
      if (answer.status === 404)
        return {
          kind: 'failed',
          code: 'vendor_task_lost',
          message: `Kling no longer knows this task (${envelope.message})`,
        };
      const outcome = klingCodeOutcome(envelope.code, envelope.message, answer);
      // A request Kling calls invalid while polling is our bug or a lost task, not a reason to fail: retry later.
      return outcome.kind === 'rejected' ? { kind: 'retry_later', message: outcome.message } : outcome;
    }
    const data = envelope.data;
    switch (data?.task_status) {
      case 'submitted':
        return { kind: 'processing', queued: true, progress: null };
      case 'processing':
        return { kind: 'processing', queued: false, progress: null };
      case 'succeed': {
        const video = data.task_result?.videos?.[0];
        if (!video?.url) return { kind: 'retry_later', message: 'Kling reported success without a video' };
        const duration = Number.parseFloat(video.duration);
        return {
          kind: 'succeeded',
          url: video.url,
          coverUrl: null,
          facts: Number.isFinite(duration) ? { durationSeconds: duration } : {},
        };
      }
      case 'failed':
        return {
          kind: 'failed',
          code: 'generation_failed',
          message: data.task_status_msg || 'Kling reported the task failed',
        };
      default:
        return {
          kind: 'retry_later',
          message: `Kling reported an unknown task status ${JSON.stringify(data?.task_status)}`,
        };
    }
  },

  async sign(call, baseUrl, credentials) {
    return jsonCall(call, baseUrl, { authorization: `Bearer ${await klingToken(credentials)}` });
  },

  // Kling finds a task by the external_task_id given at submit, in place of its own id.
  prepareLookupByExternalId(externalId, pollContext) {
    return { method: 'GET', path: `/v1/videos/${endpointOf(pollContext)}/${encodeURIComponent(externalId)}` };
  },

  readLookup(answer) {
    const envelope = readEnvelope(answer);
    if (answer.status === 404 || (envelope && envelope.code === 1203)) return { found: false };
    if (!envelope) return troubleFromStatus(answer, 'Kling lookup');
    if (envelope.code !== 0) {
      const outcome = klingCodeOutcome(envelope.code, envelope.message, answer);
      return outcome.kind === 'channel_broken' ? outcome : { kind: 'retry_later', message: outcome.message };
    }
    const taskId = envelope.data?.task_id;
    return typeof taskId === 'string' ? { found: true, upstreamTaskId: taskId } : { found: false };
  },
};
