/** Vidu's wire shapes (api.vidu.cn /ent/v2/*) and per-model rules, shared by the adapter and the simulator. */
import { z } from 'zod';
import type { ModelCapabilities } from '../adapter.js';
import { defaultFirst } from '../choices.js';

export const viduEndpoints = ['text2video', 'img2video', 'start-end2video', 'reference2video'] as const;
export type ViduEndpoint = (typeof viduEndpoints)[number];

export const viduResolutions = ['360p', '540p', '720p', '1080p'] as const;
export type ViduResolution = (typeof viduResolutions)[number];

/** Vidu names resolutions by the video's short side. */
export const shortSideOf: Record<ViduResolution, number> = {
  '360p': 360,
  '540p': 540,
  '720p': 720,
  '1080p': 1080,
};

export const viduAspectRatios = ['16:9', '9:16', '1:1', '4:3', '3:4'] as const;
export type ViduAspectRatio = (typeof viduAspectRatios)[number];

export const viduMovementAmplitudes = ['auto', 'small', 'medium', 'large'] as const;
export const viduStyles = ['general', 'anime'] as const;

/** What one model accepts on one endpoint (Vidu's API reference, 2025). */
export interface ViduModelRule {
  durations: readonly number[];
  defaultDuration: number;
  /** The resolutions the model renders at this duration; the first is Vidu's default. */
  resolutions(duration: number): readonly ViduResolution[];
  /** text2video and reference2video only (the other endpoints follow the input image). */
  aspectRatios: readonly ViduAspectRatio[];
  /** reference2video: most images accepted. */
  maxImages: number;
}

const seconds = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const classicRatios: readonly ViduAspectRatio[] = ['16:9', '9:16', '1:1'];

const q2 = (durations: number[]): ViduModelRule => ({
  durations,
  defaultDuration: 5,
  resolutions: () => ['720p', '540p', '1080p'],
  aspectRatios: viduAspectRatios,
  maxImages: 7,
});
const q2ProFast = (durations: number[]): ViduModelRule => ({
  ...q2(durations),
  resolutions: () => ['720p', '1080p'],
});
const q1: ViduModelRule = {
  durations: [5],
  defaultDuration: 5,
  resolutions: () => ['1080p'],
  aspectRatios: classicRatios,
  maxImages: 7,
};
const vidu20Frames: ViduModelRule = {
  durations: [4, 8],
  defaultDuration: 4,
  resolutions: (duration) => (duration === 8 ? ['720p'] : ['360p', '720p', '1080p']),
  aspectRatios: classicRatios,
  maxImages: 7,
};
const vidu20Reference: ViduModelRule = {
  ...vidu20Frames,
  durations: [4],
  resolutions: () => ['360p', '720p'],
  maxImages: 3,
};

/** The models each endpoint takes; a model missing here is refused by that endpoint. */
export const viduModelRules: Record<ViduEndpoint, Record<string, ViduModelRule>> = {
  text2video: { viduq2: q2(seconds(1, 10)), viduq1: q1 },
  img2video: {
    'viduq2-pro-fast': q2ProFast(seconds(1, 10)),
    'viduq2-pro': q2(seconds(1, 10)),
    'viduq2-turbo': q2(seconds(1, 10)),
    viduq1: q1,
    'viduq1-classic': q1,
    'vidu2.0': vidu20Frames,
  },
  'start-end2video': {
    'viduq2-pro-fast': q2ProFast(seconds(1, 8)),
    'viduq2-pro': q2(seconds(1, 8)),
    'viduq2-turbo': q2(seconds(1, 8)),
    viduq1: q1,
    'viduq1-classic': q1,
    'vidu2.0': vidu20Frames,
  },
  reference2video: { viduq2: q2(seconds(1, 10)), viduq1: q1, 'vidu2.0': vidu20Reference },
};

export const viduModels = [...new Set(Object.values(viduModelRules).flatMap((rules) => Object.keys(rules)))];

/** The model's rule on this endpoint, or undefined when the endpoint does not take the model. */
export function viduModelRule(endpoint: ViduEndpoint, model: string): ViduModelRule | undefined {
  const rules = viduModelRules[endpoint];
  return Object.hasOwn(rules, model) ? rules[model] : undefined;
}

/** How many images each endpoint takes (reference2video: up to the model's maxImages). */
export const viduImageCounts: Record<ViduEndpoint, { min: number; max: number }> = {
  text2video: { min: 0, max: 0 },
  img2video: { min: 1, max: 1 },
  'start-end2video': { min: 2, max: 2 },
  reference2video: { min: 1, max: 7 },
};

/**
 * What a model takes, from the endpoint rules prepareSubmit checks against. Durations, resolutions and aspect
 * ratios are those of the endpoint a plain request goes to: text2video, or img2video for a model that needs an
 * image (which follows the image's aspect ratio: null). The endpoint's default comes first.
 */
export function viduCapabilities(model: string): ModelCapabilities | undefined {
  const text = viduModelRule('text2video', model);
  const rule = text ?? viduModelRule('img2video', model);
  if (!rule) return undefined;
  const durations = defaultFirst(rule.durations, rule.defaultDuration);
  const reference = viduModelRule('reference2video', model);
  return {
    durations,
    aspectRatios: text ? text.aspectRatios : null,
    resolutions: [...new Set(durations.flatMap((duration) => rule.resolutions(duration)))],
    images: {
      firstFrame: viduModelRule('img2video', model) !== undefined,
      lastFrame: viduModelRule('start-end2video', model) !== undefined,
      references: reference ? Math.min(reference.maxImages, viduImageCounts.reference2video.max) : 0,
      required: !text,
    },
  };
}

const commonFields = [
  'model',
  'prompt',
  'duration',
  'seed',
  'resolution',
  'movement_amplitude',
  'bgm',
  'payload',
  'off_peak',
  'watermark',
  'wm_position',
  'wm_url',
  'meta_data',
  'callback_url',
] as const;

/** The body fields each endpoint takes; Vidu answers FieldUnwanted for any other. */
export const viduEndpointFields: Record<ViduEndpoint, readonly string[]> = {
  text2video: [...commonFields, 'style', 'aspect_ratio'],
  img2video: [...commonFields, 'images', 'audio', 'voice_id', 'is_rec'],
  'start-end2video': [...commonFields, 'images', 'is_rec'],
  reference2video: [...commonFields, 'images', 'aspect_ratio', 'audio', 'voice_id'],
};

/** The create body of all four endpoints; which fields apply is viduEndpointFields' business. */
export const viduCreateBody = z
  .object({
    model: z.string(),
    prompt: z.string().max(2000).optional(),
    images: z.array(z.string()).optional(),
    duration: z.number().int().optional(),
    seed: z.number().int().min(0).optional(),
    resolution: z.enum(viduResolutions).optional(),
    aspect_ratio: z.enum(viduAspectRatios).optional(),
    movement_amplitude: z.enum(viduMovementAmplitudes).optional(),
    style: z.enum(viduStyles).optional(),
    bgm: z.boolean().optional(),
    audio: z.boolean().optional(),
    voice_id: z.string().optional(),
    is_rec: z.boolean().optional(),
    payload: z.string().max(1_048_576).optional(),
    off_peak: z.boolean().optional(),
    watermark: z.boolean().optional(),
    wm_position: z.number().int().min(1).max(4).optional(),
    wm_url: z.string().optional(),
    meta_data: z.string().optional(),
    callback_url: z.string().optional(),
  })
  .strict();
export type ViduCreateBody = z.infer<typeof viduCreateBody>;

export type ViduState = 'created' | 'queueing' | 'processing' | 'success' | 'failed';

/** The create answer (HTTP 200, a flat object echoing the request). Read loosely: Vidu adds fields over time. */
export const viduCreateAnswer = z.object({
  task_id: z.string().min(1),
  state: z.string(),
  err_code: z.string().optional(),
});

/** GET /ent/v2/tasks/{id}/creations. `state` stays a string: an unknown one must be seen, not parsed away. */
export const viduCreationsAnswer = z.object({
  id: z.string().optional(),
  state: z.string(),
  err_code: z.string().optional(),
  credits: z.number().optional(),
  payload: z.string().optional(),
  creations: z
    .array(z.object({ id: z.string().optional(), url: z.string(), cover_url: z.string().optional() }))
    .nullish(),
});

/** Vidu's error body, with the HTTP status repeated in `code`. */
export const viduErrorBody = z.object({
  code: z.number(),
  reason: z.string(),
  message: z.string(),
  metadata: z.object({ trace_id: z.string() }).partial().optional(),
});
export type ViduErrorBody = z.infer<typeof viduErrorBody>;

/** What an error reason (or a failed task's err_code) means for Reelay: the client's fault, transient, or the account's. */
export type ViduErrorKind =
  'content_policy' | 'invalid_request' | 'retry' | 'account' | 'task_lost' | 'generation';

/** Vidu's error reasons and task err_codes, from its error-code table. */
export const viduErrorReasons: Record<string, { kind: ViduErrorKind; meaning: string }> = {
  BadRequest: { kind: 'invalid_request', meaning: 'the request is invalid' },
  FieldLacking: { kind: 'invalid_request', meaning: 'a required field is missing' },
  FieldUnwanted: { kind: 'invalid_request', meaning: 'the request has a field this endpoint does not take' },
  FieldItemCountOutOfRange: { kind: 'invalid_request', meaning: 'a field has too many or too few items' },
  FieldInvalid: { kind: 'invalid_request', meaning: 'a parameter failed validation' },
  ImageDownloadFailure: {
    kind: 'invalid_request',
    meaning: 'Vidu could not download an input image; check that its URL is publicly reachable',
  },
  ImageFormatInvalid: { kind: 'invalid_request', meaning: 'an input image is not a PNG, JPEG or WebP image' },
  PageSizeOutOfRange: {
    kind: 'invalid_request',
    meaning: 'an input image is smaller than 128x128 or more elongated than 1:4',
  },
  ImageCheckBodyJointsFailed: {
    kind: 'invalid_request',
    meaning: 'Vidu could not detect a body in the image',
  },
  ImageCheckFaceFailed: { kind: 'invalid_request', meaning: 'Vidu could not detect a face in the image' },
  ImageObjectsUndetected: { kind: 'invalid_request', meaning: 'the person or face in the image is covered' },
  AuditSubmitIllegal: {
    kind: 'content_policy',
    meaning: "the input did not pass Vidu's content safety review",
  },
  TaskPromptPolicyViolation: {
    kind: 'content_policy',
    meaning: "the prompt was blocked by Vidu's content policy",
  },
  CreationPolicyViolation: {
    kind: 'content_policy',
    meaning: "the generated video was blocked by Vidu's content policy",
  },
  Unauthorized: { kind: 'account', meaning: 'Vidu did not accept the API key' },
  Forbidden: { kind: 'account', meaning: 'the API key may not use this endpoint' },
  CreditInsufficient: { kind: 'account', meaning: 'the Vidu account has run out of credits' },
  TaskNotFound: { kind: 'task_lost', meaning: 'Vidu no longer knows this task' },
  TooManyRequests: { kind: 'retry', meaning: 'too many requests' },
  QuotaExceeded: { kind: 'retry', meaning: "the account's concurrency limit is reached" },
  SystemThrottling: { kind: 'retry', meaning: 'Vidu is throttling requests' },
  ModelUnavailable: { kind: 'retry', meaning: 'the model is unavailable right now' },
  Canceled: { kind: 'retry', meaning: 'the request was cancelled' },
  InternalServiceFailure: { kind: 'retry', meaning: 'Vidu had an internal error' },
  UserCancelled: { kind: 'generation', meaning: 'the task was cancelled on the Vidu account' },
};

/** What a reason or err_code means, or undefined for one Vidu has not documented. */
export function viduReason(code: string): { kind: ViduErrorKind; meaning: string } | undefined {
  return Object.hasOwn(viduErrorReasons, code) ? viduErrorReasons[code] : undefined;
}
