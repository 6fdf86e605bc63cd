/**
 * Vidu (Shengshu): Token auth; the images given choose the endpoint (text2video, img2video, start-end2video,
 * reference2video); tasks move created → queueing → processing → success | failed.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { imageAsDataUrl, parseImage } from '../image.js';
import type {
  CancelOutcome,
  ImageInput,
  PollOutcome,
  PreparedSubmit,
  SubmitOutcome,
  VendorAdapter,
  VendorAnswer,
  VendorWarning,
  VideoJob,
} from '../adapter.js';
import { retryAfterMs, troubleFromStatus } from '../answers.js';
import { dimensionsFor, parseMetadata } from '../mapping.js';
import { viduAuthorization, viduCredentials, type ViduCredentials } from './auth.js';
import {
  shortSideOf,
  viduAspectRatios,
  viduCreateAnswer,
  viduCreateBody,
  viduCreationsAnswer,
  viduEndpointFields,
  viduEndpoints,
  viduErrorBody,
  viduImageCounts,
  viduModelRule,
  viduModelRules,
  viduCapabilities,
  viduModels,
  viduReason,
  viduResolutions,
  type ViduAspectRatio,
  type ViduCreateBody,
  type ViduEndpoint,
  type ViduErrorKind,
  type ViduModelRule,
  type ViduResolution,
} from './types.js';
import { jsonCall } from '../calls.js';

/** new-api's action names, accepted so that clients moving from it keep working. */
const actionAliases: Record<string, ViduEndpoint> = {
  textGenerate: 'text2video',
  generate: 'img2video',
  firstTailGenerate: 'start-end2video',
  referenceGenerate: 'reference2video',
};

/** Metadata keys sent to Vidu as they are: same name, Vidu's own validation. */
const passThroughFields = viduCreateBody.pick({
  movement_amplitude: true,
  style: true,
  bgm: true,
  audio: true,
  voice_id: true,
  is_rec: true,
  payload: true,
  off_peak: true,
  watermark: true,
  wm_position: true,
  wm_url: true,
  meta_data: true,
});
const passThroughKeys = Object.keys(passThroughFields.shape) as (keyof typeof passThroughFields.shape)[];

/** The metadata keys a client may send for Vidu, in Vidu's own names (plus Reelay's image inputs). */
const viduMetadata = passThroughFields
  .extend({
    action: z.enum([...viduEndpoints, ...Object.keys(actionAliases)]).optional(),
    images: z.array(z.string().min(1)).min(1).max(7).optional(),
    image_tail: z.string().min(1).optional(),
    reference_images: z.array(z.string().min(1)).min(1).max(7).optional(),
    duration: z.number().int().positive().optional(),
    seed: viduCreateBody.shape.seed,
    resolution: viduCreateBody.shape.resolution,
    aspect_ratio: viduCreateBody.shape.aspect_ratio,
    wm_url: z.string().url().optional(),
  })
  .strict();
type ViduMetadata = z.infer<typeof viduMetadata>;

/** Vidu's q2 models accept these on text2video and reference2video but ignore any value but the default. */
const ignoredByQ2: Partial<Record<keyof ViduMetadata, string>> = {
  movement_amplitude: 'auto',
  style: 'general',
};

const endpointByImageCount: readonly ViduEndpoint[] = ['text2video', 'img2video', 'start-end2video'];
const viduImageTypes = ['image/png', 'image/jpeg', 'image/jpg', 'image/webp'];

interface SourcedImage {
  input: ImageInput;
  /** The client's field, for error messages. */
  param: string;
}

const sourced = (value: string, param: string): SourcedImage => ({ input: parseImage(value, param), param });

/** The images the client gave, in Vidu's order, and the endpoint they call for (or metadata.action names). */
function chooseEndpoint(
  job: VideoJob,
  meta: ViduMetadata,
): { endpoint: ViduEndpoint; images: SourcedImage[] } {
  if (job.image && meta.images) {
    throw new InvalidRequestError(
      'Give the images either as image or as metadata.images, not both',
      'metadata.images',
    );
  }
  const frames = job.image
    ? [{ input: job.image, param: 'image' }]
    : (meta.images ?? []).map((value, i) => sourced(value, `metadata.images.${i}`));
  const tail = meta.image_tail === undefined ? null : sourced(meta.image_tail, 'metadata.image_tail');
  const references = (meta.reference_images ?? []).map((value, i) =>
    sourced(value, `metadata.reference_images.${i}`),
  );
  if (references.length > 0 && (frames.length > 0 || tail)) {
    throw new InvalidRequestError(
      'metadata.reference_images cannot be combined with first or last frames (image, metadata.images, metadata.image_tail)',
      'metadata.reference_images',
    );
  }
  if (tail && frames.length !== 1) {
    throw new InvalidRequestError(
      'metadata.image_tail (the last frame) needs exactly one first frame in image',
      'metadata.image_tail',
    );
  }
  const images = references.length > 0 ? references : tail ? [...frames, tail] : frames;
  const inferred =
    references.length > 0 ? 'reference2video' : (endpointByImageCount[images.length] ?? 'reference2video');
  if (!meta.action) return { endpoint: inferred, images };

  const endpoint = actionAliases[meta.action] ?? (meta.action as ViduEndpoint);
  if (tail && endpoint !== 'start-end2video') {
    throw new InvalidRequestError(
      `metadata.image_tail is a last frame, which ${endpoint} does not take`,
      'metadata.action',
    );
  }
  if (references.length > 0 && endpoint !== 'reference2video') {
    throw new InvalidRequestError(
      `metadata.reference_images are only taken by reference2video, not ${endpoint}`,
      'metadata.action',
    );
  }
  return { endpoint, images };
}

function ruleFor(endpoint: ViduEndpoint, model: string): ViduModelRule {
  const rule = viduModelRule(endpoint, model);
  if (rule) return rule;
  if (endpoint === 'text2video' && viduCapabilities(model)?.images.required)
    throw new InvalidRequestError(`Vidu ${model} makes videos from images only; give image`, 'image');
  const takes = Object.keys(viduModelRules[endpoint]).join(', ');
  throw new InvalidRequestError(
    `Vidu ${endpoint} takes the models ${takes}; ${model} is not one of them`,
    'model',
  );
}

function checkImageCount(
  endpoint: ViduEndpoint,
  rule: ViduModelRule,
  model: string,
  images: SourcedImage[],
  meta: ViduMetadata,
) {
  const { min } = viduImageCounts[endpoint];
  const max = Math.min(viduImageCounts[endpoint].max, rule.maxImages);
  if (images.length >= min && images.length <= max) return;
  const param = meta.action
    ? 'metadata.action'
    : meta.reference_images
      ? 'metadata.reference_images'
      : 'metadata.images';
  const wanted = min === max ? `exactly ${min}` : `${min} to ${max}`;
  throw new InvalidRequestError(
    `Vidu ${endpoint} with ${model} takes ${wanted} images; ${images.length} were given`,
    param,
  );
}

/** Vidu takes URLs, or base64 only with its data: prefix; PNG, JPEG and WebP. */
function viduImage({ input, param }: SourcedImage): string {
  if (input.kind === 'base64' && input.mimeType !== null && !viduImageTypes.includes(input.mimeType)) {
    throw new InvalidRequestError(`Vidu accepts PNG, JPEG or WebP images, not ${input.mimeType}`, param);
  }
  return imageAsDataUrl(input);
}

interface Given<T> {
  value: T;
  param: string;
}

/** A value the client may give at the top level and in metadata: either is fine, both only when they agree. */
function reconcile<T>(top: Given<T | null>, meta: Given<T | undefined>): Given<T> | null {
  if (meta.value !== undefined) {
    if (top.value !== null && top.value !== meta.value) {
      throw new InvalidRequestError(
        `${meta.param} (${meta.value}) contradicts ${top.param} (${top.value})`,
        meta.param,
      );
    }
    return { value: meta.value, param: meta.param };
  }
  return top.value === null ? null : { value: top.value, param: top.param };
}

const describeSeconds = (durations: readonly number[]) =>
  durations.length > 2 ? `${durations[0]} to ${durations.at(-1)}` : durations.join(' or ');

function chooseDuration(job: VideoJob, meta: ViduMetadata, rule: ViduModelRule, where: string): number {
  if (job.durationSeconds !== null && !Number.isInteger(job.durationSeconds)) {
    throw new InvalidRequestError('Vidu renders whole seconds; give duration as an integer', 'duration');
  }
  const given = reconcile(
    { value: job.durationSeconds, param: 'duration' },
    { value: meta.duration, param: 'metadata.duration' },
  );
  const duration = given?.value ?? rule.defaultDuration;
  if (!rule.durations.includes(duration)) {
    throw new InvalidRequestError(
      `Vidu ${where} renders ${describeSeconds(rule.durations)} second videos, not ${duration}`,
      given?.param ?? 'duration',
    );
  }
  return duration;
}

/** The resolution a requested size calls for: Vidu names resolutions by the short side. */
function resolutionOfSize(job: VideoJob): ViduResolution | null {
  if (job.width === null || job.height === null) return null;
  const shortSide = Math.min(job.width, job.height);
  const match = viduResolutions.find((r) => shortSideOf[r] === shortSide);
  if (!match) {
    throw new InvalidRequestError(
      `Vidu renders 360p, 540p, 720p or 1080p (the short side in pixels); ${job.width}x${job.height} is none of them`,
      'size',
    );
  }
  return match;
}

function aspectRatioOfSize(job: VideoJob): ViduAspectRatio | null {
  if (job.width === null || job.height === null) return null;
  const { width, height } = job;
  const match = viduAspectRatios.find((aspect) => {
    const [w, h] = aspect.split(':').map(Number) as [number, number];
    return width * h === height * w;
  });
  if (!match) {
    throw new InvalidRequestError(
      `Vidu renders ${viduAspectRatios.join(', ')} videos; ${width}x${height} is none of them`,
      'size',
    );
  }
  return match;
}

function chooseResolution(
  job: VideoJob,
  meta: ViduMetadata,
  rule: ViduModelRule,
  duration: number,
  where: string,
) {
  const given = reconcile(
    { value: resolutionOfSize(job), param: 'size' },
    { value: meta.resolution, param: 'metadata.resolution' },
  );
  const allowed = rule.resolutions(duration);
  const resolution = given?.value ?? allowed[0]!;
  if (!allowed.includes(resolution)) {
    throw new InvalidRequestError(
      `Vidu ${where} renders ${allowed.join(', ')} at ${duration} seconds, not ${resolution}`,
      given?.param ?? 'size',
    );
  }
  return resolution;
}

function chooseAspectRatio(
  job: VideoJob,
  meta: ViduMetadata,
  rule: ViduModelRule,
  where: string,
): ViduAspectRatio {
  const given = reconcile(
    { value: aspectRatioOfSize(job), param: 'size' },
    { value: meta.aspect_ratio, param: 'metadata.aspect_ratio' },
  );
  const aspect = given?.value ?? '16:9';
  if (!rule.aspectRatios.includes(aspect)) {
    throw new InvalidRequestError(
      `Vidu ${where} renders ${rule.aspectRatios.join(', ')}, not ${aspect}`,
      given?.param ?? 'metadata.aspect_ratio',
    );
  }
  return aspect;
}

/** The metadata sent as it is, each key checked against what the endpoint takes (and audio's own limits). */
function passThrough(meta: ViduMetadata, endpoint: ViduEndpoint): Partial<ViduCreateBody> {
  const fields: Partial<ViduCreateBody> = {};
  for (const key of [...passThroughKeys, 'aspect_ratio'] as const) {
    if (meta[key] !== undefined && !viduEndpointFields[endpoint].includes(key)) {
      throw new InvalidRequestError(`Vidu ${endpoint} does not take ${key}`, `metadata.${key}`);
    }
  }
  for (const key of passThroughKeys) {
    if (meta[key] !== undefined) Object.assign(fields, { [key]: meta[key] });
  }
  if (meta.voice_id !== undefined && meta.audio !== true) {
    throw new InvalidRequestError(
      'metadata.voice_id only applies with metadata.audio: true',
      'metadata.voice_id',
    );
  }
  if (meta.audio && meta.off_peak) {
    throw new InvalidRequestError(
      'Vidu cannot generate audio off-peak; drop metadata.off_peak or metadata.audio',
      'metadata.off_peak',
    );
  }
  return fields;
}

function warningsFor(
  job: VideoJob,
  meta: ViduMetadata,
  endpoint: ViduEndpoint,
  resolution: ViduResolution,
): VendorWarning[] {
  const warnings: VendorWarning[] = [];
  const followsImage = endpoint === 'img2video' || endpoint === 'start-end2video';
  if (followsImage && job.width !== null) {
    warnings.push({
      feature: 'size',
      details: `Vidu ${endpoint} follows the input image's aspect ratio: only the resolution (${resolution}) was taken from the requested size`,
    });
  }
  if (!followsImage && job.upstreamModel.startsWith('viduq2')) {
    for (const [key, neutral] of Object.entries(ignoredByQ2) as [keyof ViduMetadata, string][]) {
      if (meta[key] !== undefined && meta[key] !== neutral) {
        warnings.push({
          feature: `metadata.${key}`,
          details: `Vidu ${job.upstreamModel} ignores ${key} on ${endpoint}`,
        });
      }
    }
  }
  if (meta.off_peak) {
    warnings.push({
      feature: 'metadata.off_peak',
      details:
        'Vidu runs off-peak tasks within 48 hours: the task fails if Vidu takes longer than this gateway waits',
    });
  }
  return warnings;
}

/** A failed task's err_code as the client's error: what it means, and whose fault it is. */
const failureCodes: Record<ViduErrorKind, string> = {
  content_policy: 'content_policy_violation',
  invalid_request: 'invalid_input',
  account: 'generation_failed',
  retry: 'generation_failed',
  task_lost: 'vendor_task_lost',
  generation: 'generation_failed',
};

function explainFailure(errCode: string | undefined): { code: string; message: string } {
  const reason = errCode ? viduReason(errCode) : undefined;
  if (reason) {
    return {
      // A task cancelled through the API (or the Vidu console) reads as a cancel, whoever saw it end first.
      code: errCode === 'UserCancelled' ? 'cancelled' : failureCodes[reason.kind],
      message: `Vidu could not generate the video: ${reason.meaning} (err_code ${errCode})`,
    };
  }
  const detail = errCode ? `err_code ${errCode}` : 'no err_code';
  return { code: 'generation_failed', message: `Vidu reported the task failed (${detail})` };
}

const kindByStatus: Record<number, ViduErrorKind> = {
  400: 'invalid_request',
  401: 'account',
  403: 'account',
  404: 'task_lost',
};

/** A non-200 answer in Vidu's envelope, its kind read from `reason` (or the HTTP status for an undocumented one). */
function readError(answer: VendorAnswer): { kind: ViduErrorKind; reason: string; text: string } | null {
  const error = viduErrorBody.safeParse(answer.json);
  if (!error.success) return null;
  const { reason, message } = error.data;
  const kind = viduReason(reason)?.kind ?? kindByStatus[answer.status] ?? 'retry';
  return { kind, reason, text: `Vidu ${reason}: ${message}` };
}

function submitTrouble(answer: VendorAnswer): SubmitOutcome {
  const error = readError(answer);
  if (!error) return troubleFromStatus(answer, 'Vidu submit');
  switch (error.kind) {
    case 'content_policy':
      return { kind: 'rejected', code: 'content_policy_violation', message: error.text };
    case 'invalid_request':
      return { kind: 'rejected', code: 'vendor_invalid_request', message: error.text };
    case 'account':
      return {
        kind: 'channel_broken',
        message: `${error.text} (${viduReason(error.reason)?.meaning ?? 'account refused'})`,
      };
    default:
      return { kind: 'retry_later', message: error.text, retryAfterMs: retryAfterMs(answer) };
  }
}

function pollTrouble(answer: VendorAnswer): PollOutcome {
  const error = readError(answer);
  if (!error) return troubleFromStatus(answer, 'Vidu poll');
  if (error.kind === 'task_lost')
    return { kind: 'failed', code: 'vendor_task_lost', message: 'Vidu no longer knows this task' };
  if (error.kind === 'account') return { kind: 'channel_broken', message: error.text };
  // A request Vidu calls invalid while polling is our bug or a passing fault, never the task's end.
  return { kind: 'retry_later', message: error.text, retryAfterMs: retryAfterMs(answer) };
}

/** States in which the task is still on its way. */
const waitingStates: Record<string, PollOutcome> = {
  created: { kind: 'processing', queued: true, progress: null },
  queueing: { kind: 'processing', queued: true, progress: null },
  processing: { kind: 'processing', queued: false, progress: null },
};

export const viduAdapter: VendorAdapter<ViduCredentials> = {
  vendor: 'vidu',
  credentials: viduCredentials,
  defaultBaseUrl: 'https://api.vidu.cn',
  models: viduModels,
  capabilities: viduCapabilities,

  prepareSubmit(job: VideoJob): PreparedSubmit {
    const meta = parseMetadata(viduMetadata, job.metadata);
    if (job.prompt.length > 2000)
      throw new InvalidRequestError('Vidu accepts prompts of at most 2000 characters', 'prompt');
    if (job.fps !== null)
      throw new InvalidRequestError('Vidu does not let the frame rate be chosen; omit fps', 'fps');

    const { endpoint, images } = chooseEndpoint(job, meta);
    const model = job.upstreamModel;
    const rule = ruleFor(endpoint, model);
    checkImageCount(endpoint, rule, model, images, meta);
    const where = `${endpoint} with ${model}`;
    const duration = chooseDuration(job, meta, rule, where);
    const resolution = chooseResolution(job, meta, rule, duration, where);
    const aspect = viduEndpointFields[endpoint].includes('aspect_ratio')
      ? chooseAspectRatio(job, meta, rule, where)
      : null;
    const seed = reconcile({ value: job.seed, param: 'seed' }, { value: meta.seed, param: 'metadata.seed' });

    // Explicit zeros and falses (seed 0 = random, bgm false) are sent as given: Vidu reads them as written.
    const body: ViduCreateBody = {
      model,
      prompt: job.prompt,
      ...(images.length > 0 ? { images: images.map(viduImage) } : {}),
      duration,
      ...(seed ? { seed: seed.value } : {}),
      resolution,
      ...(aspect ? { aspect_ratio: aspect } : {}),
      ...passThrough(meta, endpoint),
    };
    const produced = aspect ? dimensionsFor(aspect, shortSideOf[resolution]) : null;
    return {
      call: { method: 'POST', path: `/ent/v2/${endpoint}`, body },
      pollContext: {},
      expected: {
        durationSeconds: duration,
        fps: null,
        width: produced?.width ?? null,
        height: produced?.height ?? null,
        seed: seed && seed.value > 0 ? seed.value : null,
        shortSide: shortSideOf[resolution],
      },
      warnings: warningsFor(job, meta, endpoint, resolution),
    };
  },

  readSubmit(answer) {
    if (answer.status !== 200) return submitTrouble(answer);
    const created = viduCreateAnswer.safeParse(answer.json);
    if (!created.success) return troubleFromStatus(answer, 'Vidu submit');
    if (created.data.state === 'failed') {
      const failure = explainFailure(created.data.err_code);
      return { kind: 'rejected', code: failure.code, message: failure.message };
    }
    return { kind: 'accepted', upstreamTaskId: created.data.task_id };
  },

  preparePoll(upstreamTaskId) {
    return { method: 'GET', path: `/ent/v2/tasks/${encodeURIComponent(upstreamTaskId)}/creations` };
  },

  readPoll(answer): PollOutcome {
    if (answer.status !== 200) return pollTrouble(answer);
    const parsed = viduCreationsAnswer.safeParse(answer.json);
    if (!parsed.success) return troubleFromStatus(answer, 'Vidu poll');
    const { state, err_code: errCode, creations } = parsed.data;
    if (Object.hasOwn(waitingStates, state)) return waitingStates[state]!;
    if (state === 'success') {
      const video = creations?.[0];
      if (!video?.url) return { kind: 'retry_later', message: 'Vidu reported success without a video' };
      return { kind: 'succeeded', url: video.url, coverUrl: video.cover_url || null, facts: {} };
    }
    if (state === 'failed') return { kind: 'failed', ...explainFailure(errCode) };
    return { kind: 'retry_later', message: `Vidu reported an unknown task state ${JSON.stringify(state)}` };
  },

  // Vidu's "Cancel Generation" (platform.vidu.com/docs/cancel-generation): POST /ent/v2/tasks/{id}/cancel with
  // {"id"}; `{}` when cancelled, a 400 such as "task state is scheduled, can not cancel" once it runs.
  prepareCancel(upstreamTaskId) {
    const id = encodeURIComponent(upstreamTaskId);
    return { method: 'POST', path: `/ent/v2/tasks/${id}/cancel`, body: { id: upstreamTaskId } };
  },

  readCancel(answer): CancelOutcome {
    if (answer.status === 200) return { kind: 'cancelled' };
    const error = readError(answer);
    if (!error) return troubleFromStatus(answer, 'Vidu cancel');
    switch (error.kind) {
      case 'invalid_request':
        return { kind: 'not_cancellable', reason: `Vidu refused: ${error.text}` };
      case 'task_lost':
        return { kind: 'not_cancellable', reason: 'Vidu no longer knows this task' };
      case 'account':
        return { kind: 'channel_broken', message: error.text };
      default:
        return { kind: 'retry_later', message: error.text, retryAfterMs: retryAfterMs(answer) };
    }
  },

  async sign(call, baseUrl, credentials) {
    return jsonCall(call, baseUrl, { authorization: viduAuthorization(credentials) });
  },
};
