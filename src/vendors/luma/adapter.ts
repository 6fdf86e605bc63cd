/**
 * Luma Dream Machine: `POST /dream-machine/v1/generations/video` answers a Generation; `GET …/generations/{id}`
 * moves queued → dreaming → completed | failed (with failure_reason). Luma POSTs the Generation to `callback_url`
 * on each change. Sources: lumalabs/lumaai-node v1.21 (src/resources/generations/*.ts), docs.lumalabs.ai
 * (changelog "Callbacks": the full Generation on every update).
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { parseImage } from '../image.js';
import type {
  ModelCapabilities,
  ImageInput,
  PollOutcome,
  VendorAdapter,
  VendorAnswer,
  VendorRejection,
  VendorTrouble,
  VideoJob,
} from '../adapter.js';
import { isObject, retryAfterMs, troubleFromStatus } from '../answers.js';
import { defaultFirst } from '../choices.js';
import { jsonCall } from '../calls.js';
import { agreed, dimensionsFor, exactSize, parseMetadata } from '../mapping.js';
import { lumaAuthHeaders, lumaCredentials, type LumaCredentials } from './auth.js';
import {
  lumaAspectRatios,
  lumaError,
  lumaGeneration,
  lumaModelRules,
  lumaModels,
  lumaResolutions,
  lumaShortSide,
  type LumaCreateBody,
  type LumaModelRule,
  type LumaResolution,
} from './types.js';

const lumaMetadata = z
  .object({
    aspect_ratio: z.enum(lumaAspectRatios).optional(),
    resolution: z.enum(lumaResolutions).optional(),
    duration: z.enum(['5s', '9s']).optional(),
    loop: z.boolean().optional(),
    /** The last frame, as an image URL (Luma's keyframes.frame1). */
    frame1: z.string().min(1).optional(),
    concepts: z.array(z.object({ key: z.string().min(1) }).strict()).optional(),
  })
  .strict();
type LumaMetadata = z.infer<typeof lumaMetadata>;

const generationsPath = '/dream-machine/v1/generations';

/** What Luma renders when not asked. */
const lumaDefaults = { seconds: 5, aspect: '16:9', resolution: '720p' } as const;

/**
 * What a model takes, from the rule and lists prepareSubmit checks against; the defaults come first. Images are
 * keyframes: frame0 (image) and frame1 (metadata.frame1, the last frame).
 */
function lumaCapabilities(model: string): ModelCapabilities | undefined {
  if (!Object.hasOwn(lumaModelRules, model)) return undefined;
  const rule = lumaModelRules[model]!;
  return {
    durations: defaultFirst(rule.durations, lumaDefaults.seconds),
    aspectRatios: defaultFirst<string>(lumaAspectRatios, lumaDefaults.aspect),
    resolutions: defaultFirst<string>(rule.resolutions, lumaDefaults.resolution),
    images: { firstFrame: true, lastFrame: true, references: 0, required: false },
  };
}

function ruleFor(model: string): LumaModelRule {
  if (Object.hasOwn(lumaModelRules, model)) return lumaModelRules[model]!;
  throw new InvalidRequestError(`Luma serves ${lumaModels.join(', ')}; ${model} is not one of them`, 'model');
}

/** Luma fetches keyframes itself: it takes image URLs only (keyframes[].url). */
function keyframe(image: ImageInput, param: string) {
  if (image.kind !== 'url')
    throw new InvalidRequestError('Luma takes images as http(s) URLs it can fetch, not as bytes', param);
  return { type: 'image' as const, url: image.url };
}

function fromSize(job: VideoJob): { aspect: string; resolution: LumaResolution } | null {
  if (job.width === null || job.height === null) return null;
  const size = exactSize(job.width, job.height, lumaAspectRatios, lumaShortSide);
  if (!size)
    throw new InvalidRequestError(
      `Luma renders ${lumaAspectRatios.join(', ')} at ${lumaResolutions.join(', ')} (short side); ${job.width}x${job.height} is none of them`,
      'size',
    );
  return size;
}

// [UNVERIFIED] the words of Luma's moderation and credit refusals; matched loosely.
const moderated = /moderation|not allowed|safety/i;
const outOfCredits = /credit|balance|billing/i;

function errorOutcome(answer: VendorAnswer, what: string): VendorRejection | VendorTrouble {
  const parsed = lumaError.safeParse(answer.json);
  if (!parsed.success) return troubleFromStatus(answer, what);
  const detail =
    typeof parsed.data.detail === 'string' ? parsed.data.detail : JSON.stringify(parsed.data.detail);
  const text = `${what}: ${detail}`;
  if (answer.status === 401 || answer.status === 402 || answer.status === 403)
    return { kind: 'channel_broken', message: `${text} (HTTP ${answer.status})` };
  if (answer.status === 400 || answer.status === 422) {
    if (outOfCredits.test(detail)) return { kind: 'channel_broken', message: text };
    return moderated.test(detail)
      ? { kind: 'rejected', code: 'content_policy_violation', message: text }
      : { kind: 'rejected', code: 'vendor_invalid_request', message: text };
  }
  return {
    kind: 'retry_later',
    message: `${text} (HTTP ${answer.status})`,
    retryAfterMs: retryAfterMs(answer),
  };
}

/** Reads a Generation, from a poll or a callback. */
function readGeneration(json: unknown, what: string, answer?: VendorAnswer): PollOutcome {
  const parsed = lumaGeneration.safeParse(json);
  if (!parsed.success || !parsed.data.state)
    return answer
      ? troubleFromStatus(answer, what)
      : { kind: 'retry_later', message: `${what}: not a generation` };
  const { state, failure_reason: reason, assets } = parsed.data;
  switch (state) {
    case 'queued':
      return { kind: 'processing', queued: true, progress: null };
    case 'dreaming':
      return { kind: 'processing', queued: false, progress: null };
    case 'completed':
      return assets?.video
        ? { kind: 'succeeded', url: assets.video, coverUrl: assets.image ?? null, facts: {} }
        : { kind: 'retry_later', message: 'Luma reported completed without a video' };
    case 'failed':
      return {
        kind: 'failed',
        code: reason && moderated.test(reason) ? 'content_policy_violation' : 'generation_failed',
        message: `Luma could not generate the video: ${reason || 'no failure_reason'}`,
      };
    default:
      return { kind: 'retry_later', message: `Luma reported an unknown state ${JSON.stringify(state)}` };
  }
}

export const lumaAdapter: VendorAdapter<LumaCredentials> = {
  vendor: 'luma',
  credentials: lumaCredentials,
  defaultBaseUrl: 'https://api.lumalabs.ai',
  models: lumaModels,
  capabilities: lumaCapabilities,

  prepareSubmit(job: VideoJob) {
    const meta: LumaMetadata = parseMetadata(lumaMetadata, job.metadata);
    const model = job.upstreamModel;
    const rule = ruleFor(model);
    if (job.fps !== null)
      throw new InvalidRequestError('Luma does not let the frame rate be chosen; omit fps', 'fps');
    const size = fromSize(job);
    const aspect =
      agreed(
        { value: size?.aspect ?? null, param: 'size' },
        { value: meta.aspect_ratio, param: 'metadata.aspect_ratio' },
      )?.value ?? lumaDefaults.aspect;
    const resolution =
      agreed(
        { value: size?.resolution ?? null, param: 'size' },
        { value: meta.resolution, param: 'metadata.resolution' },
      )?.value ?? lumaDefaults.resolution;
    const duration = agreed(
      { value: job.durationSeconds === null ? null : `${job.durationSeconds}s`, param: 'duration' },
      { value: meta.duration, param: 'metadata.duration' },
    ) ?? { value: `${lumaDefaults.seconds}s`, param: 'duration' };
    const seconds = Number.parseFloat(duration.value);
    if (!rule.durations.includes(seconds))
      throw new InvalidRequestError(
        `Luma ${model} renders ${rule.durations.join(' or ')} second videos, not ${duration.value}`,
        duration.param,
      );
    if (meta.frame1 !== undefined && !job.image)
      throw new InvalidRequestError(
        'metadata.frame1 (the last frame) needs a first frame in image',
        'metadata.frame1',
      );

    const body: LumaCreateBody = {
      generation_type: 'video',
      model,
      prompt: job.prompt,
      aspect_ratio: aspect,
      resolution,
      duration: duration.value,
    };
    if (meta.loop !== undefined) body.loop = meta.loop;
    if (meta.concepts) body.concepts = meta.concepts;
    if (job.image)
      body.keyframes = {
        frame0: keyframe(job.image, 'image'),
        ...(meta.frame1
          ? { frame1: keyframe(parseImage(meta.frame1, 'metadata.frame1'), 'metadata.frame1') }
          : {}),
      };
    if (job.vendorCallbackUrl) body.callback_url = job.vendorCallbackUrl;
    const produced = dimensionsFor(aspect, lumaShortSide[resolution]);
    return {
      call: { method: 'POST', path: `${generationsPath}/video`, body },
      pollContext: {},
      expected: {
        durationSeconds: seconds,
        fps: null,
        width: produced.width,
        height: produced.height,
        seed: null,
        shortSide: lumaShortSide[resolution],
      },
      warnings:
        job.seed === null
          ? []
          : [{ feature: 'seed', details: 'Luma has no seed parameter: the seed was not sent' }],
    };
  },

  readSubmit(answer) {
    if (answer.status !== 200 && answer.status !== 201) return errorOutcome(answer, 'Luma submit');
    const created = lumaGeneration.safeParse(answer.json);
    if (!created.success || !created.data.id) return troubleFromStatus(answer, 'Luma submit');
    return { kind: 'accepted', upstreamTaskId: created.data.id };
  },

  preparePoll: (upstreamTaskId) => ({
    method: 'GET',
    path: `${generationsPath}/${encodeURIComponent(upstreamTaskId)}`,
  }),

  readPoll(answer): PollOutcome {
    if (answer.status === 404)
      return { kind: 'failed', code: 'vendor_task_lost', message: 'Luma no longer knows this generation' };
    if (answer.status !== 200) {
      const outcome = errorOutcome(answer, 'Luma poll');
      return outcome.kind === 'rejected' ? { kind: 'retry_later', message: outcome.message } : outcome;
    }
    return readGeneration(answer.json, 'Luma poll', answer);
  },

  // Luma calls back on every update; one that says queued or dreaming is not worth a poll.
  callbackWorthAPoll: (body) => !(isObject(body) && (body.state === 'queued' || body.state === 'dreaming')),

  async sign(call, baseUrl, credentials) {
    return jsonCall(call, baseUrl, lumaAuthHeaders(credentials));
  },
};
