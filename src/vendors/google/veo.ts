/**
 * Veo as both Google APIs serve it: the Gemini API (veo/) and Vertex AI (vertex/) take the same
 * `{instances: [{prompt, image, lastFrame}], parameters: {...}}` body, answer with a long-running Operation and
 * refuse in Google's `{error: {code, message, status}}` envelope. What differs (auth, paths, seed, audio, where
 * the video lands) is each adapter's business.
 * Sources: googleapis/js-genai src/converters/_models_converters.ts (generateVideosParametersToMldev / ToVertex),
 * ai.google.dev/gemini-api/docs/video, cloud.google.com/vertex-ai/generative-ai/docs/model-reference/veo-video-generation.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import type {
  ImageInput,
  ModelCapabilities,
  PollOutcome,
  SubmitOutcome,
  VendorAnswer,
  VendorRejection,
  VendorTrouble,
  VendorWarning,
  VideoFacts,
  VideoJob,
} from '../adapter.js';
import { retryAfterMs, troubleFromStatus } from '../answers.js';
import { defaultFirst } from '../choices.js';
import { agreed, dimensionsFor, exactSize } from '../mapping.js';
import { parseImage } from '../image.js';

export const veoAspectRatios = ['16:9', '9:16'] as const;
export const veoResolutions = ['720p', '1080p', '4k'] as const;
export type VeoResolution = (typeof veoResolutions)[number];
const shortSideOf: Record<VeoResolution, number> = { '720p': 720, '1080p': 1080, '4k': 2160 };

/** What one Veo model takes (ai.google.dev/gemini-api/docs/video "Veo model parameters"). */
export interface VeoModelRule {
  durations: readonly number[];
  resolutions: readonly VeoResolution[];
  /** Resolutions above 720p render only 8 second videos (the same page: "1080p and 4k: 8s only"). */
  highResolutionDurations: readonly number[];
  lastFrame: boolean;
  /** Veo 3 models generate audio; Vertex asks for it with generateAudio. */
  audio: boolean;
}

const veo31: VeoModelRule = {
  durations: [4, 6, 8],
  resolutions: ['720p', '1080p', '4k'],
  highResolutionDurations: [8],
  lastFrame: true,
  audio: true,
};
const veo30: VeoModelRule = { ...veo31, resolutions: ['720p', '1080p'], lastFrame: false };
// [UNVERIFIED] Veo 2's last frame: documented on Vertex only, so refused (a 400) rather than sent and dropped.
const veo20: VeoModelRule = {
  durations: [5, 6, 7, 8],
  resolutions: ['720p'],
  highResolutionDurations: [8],
  lastFrame: false,
  audio: false,
};

export const veoModelRules: Record<string, VeoModelRule> = {
  'veo-3.1-generate-preview': veo31,
  'veo-3.1-fast-generate-preview': veo31,
  'veo-3.0-generate-001': veo30,
  'veo-3.0-fast-generate-001': veo30,
  'veo-2.0-generate-001': veo20,
};
export const veoModels = Object.keys(veoModelRules);
/** What Veo renders when not asked (the Veo page's parameter defaults). */
const veoDefaults = { seconds: 8, aspect: '16:9', resolution: '720p' } as const;

/**
 * What a Veo model takes, from its rule (prepareVeo checks against the same rule); undefined for a model Veo does
 * not serve. The default (8 seconds, 16:9, 720p) comes first.
 */
export function veoCapabilities(model: string): ModelCapabilities | undefined {
  if (!Object.hasOwn(veoModelRules, model)) return undefined;
  const rule = veoModelRules[model]!;
  return {
    durations: defaultFirst(rule.durations, veoDefaults.seconds),
    aspectRatios: veoAspectRatios,
    resolutions: rule.resolutions,
    images: { firstFrame: true, lastFrame: rule.lastFrame, references: 0, required: false },
  };
}

/** The metadata keys both APIs take, in Veo's own names; each adapter extends it. */
export const veoMetadata = z
  .object({
    negativePrompt: z.string().min(1).optional(),
    personGeneration: z.enum(['allow_all', 'allow_adult', 'dont_allow']).optional(),
    enhancePrompt: z.boolean().optional(),
    aspectRatio: z.enum(veoAspectRatios).optional(),
    resolution: z.enum(veoResolutions).optional(),
    durationSeconds: z.number().int().positive().optional(),
    /** The last frame (interpolation), as image bytes like `image`. */
    lastFrame: z.string().min(1).optional(),
  })
  .strict();

/** An image as Veo takes it: bytes with their type (js-genai imageToMldev: bytesBase64Encoded, mimeType). */
export interface VeoImage {
  bytesBase64Encoded: string;
  mimeType: string;
}

export interface VeoBody {
  instances: [{ prompt: string; image?: VeoImage; lastFrame?: VeoImage }];
  parameters: Record<string, unknown>;
}

/** What prepareSubmit of either adapter decided. */
export interface VeoRequest {
  body: VeoBody;
  expected: VideoFacts;
  warnings: VendorWarning[];
}

function veoImage(image: ImageInput, param: string): VeoImage {
  // The Gemini API takes no image URLs; Vertex takes gs:// ones, which Reelay's image field cannot carry.
  if (image.kind === 'url')
    throw new InvalidRequestError(
      'Veo takes images as bytes (a data URL or base64), not as a URL to fetch',
      param,
    );
  if (image.mimeType === null)
    throw new InvalidRequestError('Veo needs the image type: send PNG, JPEG or WebP bytes', param);
  return { bytesBase64Encoded: image.data, mimeType: image.mimeType };
}

function ruleFor(model: string): VeoModelRule {
  if (Object.hasOwn(veoModelRules, model)) return veoModelRules[model]!;
  throw new InvalidRequestError(`Veo serves ${veoModels.join(', ')}; ${model} is not one of them`, 'model');
}

/** The aspect ratio and resolution a requested size names exactly, or a 400. */
function fromSize(job: VideoJob): { aspect: string; resolution: VeoResolution } | null {
  if (job.width === null || job.height === null) return null;
  const size = exactSize(job.width, job.height, veoAspectRatios, shortSideOf);
  if (!size)
    throw new InvalidRequestError(
      `Veo renders 16:9 or 9:16 videos at 720p, 1080p or 4k (1280x720, 1920x1080, 720x1280, …); ${job.width}x${job.height} is none of them`,
      'size',
    );
  return size;
}

/**
 * The body and expectations for a job; `extra` holds the adapter's own parameters (Vertex: seed, generateAudio).
 * Per-model rules are refused here, before any call.
 */
export function prepareVeo(
  job: VideoJob,
  meta: z.infer<typeof veoMetadata>,
  extra: Record<string, unknown>,
): VeoRequest {
  const rule = ruleFor(job.upstreamModel);
  if (job.fps !== null)
    throw new InvalidRequestError('Veo renders 24 fps and does not let it be chosen; omit fps', 'fps');
  const size = fromSize(job);
  const aspect = agreed(
    { value: size?.aspect ?? null, param: 'size' },
    { value: meta.aspectRatio, param: 'metadata.aspectRatio' },
  );
  const resolution = agreed(
    { value: size?.resolution ?? null, param: 'size' },
    { value: meta.resolution, param: 'metadata.resolution' },
  );
  const duration = agreed(
    { value: job.durationSeconds, param: 'duration' },
    { value: meta.durationSeconds, param: 'metadata.durationSeconds' },
  );
  const model = job.upstreamModel;

  const seconds = duration?.value ?? veoDefaults.seconds;
  if (!rule.durations.includes(seconds))
    throw new InvalidRequestError(
      `Veo ${model} renders ${rule.durations.join(', ')} second videos, not ${seconds}`,
      duration?.param ?? 'duration',
    );
  const chosenResolution = (resolution?.value ?? veoDefaults.resolution) as VeoResolution;
  if (!rule.resolutions.includes(chosenResolution))
    throw new InvalidRequestError(
      `Veo ${model} renders ${rule.resolutions.join(', ')}, not ${chosenResolution}`,
      resolution?.param ?? 'size',
    );
  if (chosenResolution !== '720p' && !rule.highResolutionDurations.includes(seconds))
    throw new InvalidRequestError(
      `Veo renders ${chosenResolution} only as ${rule.highResolutionDurations.join(', ')} second videos`,
      duration?.param ?? 'duration',
    );
  if (meta.lastFrame !== undefined && !rule.lastFrame)
    throw new InvalidRequestError(`Veo ${model} does not take a last frame`, 'metadata.lastFrame');
  if (meta.lastFrame !== undefined && !job.image)
    throw new InvalidRequestError('metadata.lastFrame needs a first frame in image', 'metadata.lastFrame');

  const chosenAspect = (aspect?.value ?? veoDefaults.aspect) as string;
  const instance: VeoBody['instances'][0] = { prompt: job.prompt };
  if (job.image) instance.image = veoImage(job.image, 'image');
  if (meta.lastFrame !== undefined)
    instance.lastFrame = veoImage(parseImage(meta.lastFrame, 'metadata.lastFrame'), 'metadata.lastFrame');

  const parameters: Record<string, unknown> = {
    sampleCount: 1,
    durationSeconds: seconds,
    aspectRatio: chosenAspect,
    resolution: chosenResolution,
  };
  for (const key of ['negativePrompt', 'personGeneration', 'enhancePrompt'] as const) {
    if (meta[key] !== undefined) parameters[key] = meta[key];
  }
  Object.assign(parameters, extra);
  const produced = dimensionsFor(chosenAspect, shortSideOf[chosenResolution]);
  return {
    body: { instances: [instance], parameters },
    expected: {
      durationSeconds: seconds,
      fps: 24,
      width: produced.width,
      height: produced.height,
      seed: typeof extra.seed === 'number' ? extra.seed : null,
      shortSide: shortSideOf[chosenResolution],
    },
    warnings: [],
  };
}

/** Google's error envelope (google.rpc.Status as JSON); `details` may carry an ErrorInfo with a `reason`. */
const googleError = z.object({
  error: z.object({
    code: z.number(),
    message: z.string(),
    status: z.string().optional(),
    details: z.array(z.object({ reason: z.string().optional() }).passthrough()).optional(),
  }),
});

// [UNVERIFIED] the wording of Veo's prompt refusal; matched loosely so a safety refusal is never retried.
const safetyWords = /responsible ai|safety|sensitive|prohibited|blocked/i;

/** What a Google error answer means for Reelay (cloud.google.com/apis/design/errors: status → meaning). */
export function googleErrorOutcome(answer: VendorAnswer, what: string): VendorRejection | VendorTrouble {
  const parsed = googleError.safeParse(answer.json);
  if (!parsed.success) return troubleFromStatus(answer, what);
  const { message, status, details } = parsed.data.error;
  const text = `${what}: ${status ?? answer.status} ${message}`;
  // The Gemini API answers a wrong key with 400 INVALID_ARGUMENT and ErrorInfo reason API_KEY_INVALID.
  const keyRefused = details?.some((d) => d.reason === 'API_KEY_INVALID');
  if (keyRefused || status === 'UNAUTHENTICATED' || status === 'PERMISSION_DENIED')
    return { kind: 'channel_broken', message: text };
  switch (status) {
    case 'INVALID_ARGUMENT':
    case 'OUT_OF_RANGE':
    case 'NOT_FOUND':
      return safetyWords.test(message)
        ? { kind: 'rejected', code: 'content_policy_violation', message: text }
        : { kind: 'rejected', code: 'vendor_invalid_request', message: text };
    // Billing not enabled, region not served: the account's state, not this request's.
    case 'FAILED_PRECONDITION':
      return { kind: 'channel_broken', message: text };
    default:
      return { kind: 'retry_later', message: text, retryAfterMs: retryAfterMs(answer) };
  }
}

/** A submit answer: an Operation whose `name` is the upstream id. */
export function readOperationStart(answer: VendorAnswer, what: string): SubmitOutcome {
  if (answer.status !== 200) return googleErrorOutcome(answer, what);
  const name = z.object({ name: z.string().min(1) }).safeParse(answer.json);
  if (!name.success) return troubleFromStatus(answer, what);
  return { kind: 'accepted', upstreamTaskId: name.data.name };
}

/** A generated video as either API reports it: a URI (Gemini), a gcsUri or inline bytes (Vertex). */
const generatedVideo = z
  .object({
    uri: z.string().optional(),
    gcsUri: z.string().optional(),
    bytesBase64Encoded: z.string().optional(),
  })
  .passthrough();

/** An Operation: `done` with `error` (google.rpc.Status) or `response`. */
export const veoOperation = z.object({
  name: z.string().optional(),
  done: z.boolean().optional(),
  error: z.object({ code: z.number().optional(), message: z.string().optional() }).optional(),
  response: z
    .object({
      // Gemini API: response.generateVideoResponse.generatedSamples[].video.
      generateVideoResponse: z
        .object({
          generatedSamples: z.array(z.object({ video: generatedVideo })).optional(),
          raiMediaFilteredCount: z.number().optional(),
          raiMediaFilteredReasons: z.array(z.string()).optional(),
        })
        .optional(),
      // Vertex AI: response.videos[].
      videos: z.array(generatedVideo).optional(),
      raiMediaFilteredCount: z.number().optional(),
      raiMediaFilteredReasons: z.array(z.string()).optional(),
    })
    .passthrough()
    .optional(),
});
export type GeneratedVideo = z.infer<typeof generatedVideo>;

/**
 * A poll answer. `locate` turns the generated video into the location Reelay fetches (or a failure when it cannot);
 * an ended operation with no video and filtered samples is Veo's safety filter (raiMediaFilteredReasons).
 */
export function readOperation(
  answer: VendorAnswer,
  what: string,
  locate: (video: GeneratedVideo) => PollOutcome,
): PollOutcome {
  if (answer.status === 404)
    return {
      kind: 'failed',
      code: 'vendor_task_lost',
      message: `${what}: Google no longer knows this operation`,
    };
  if (answer.status !== 200) {
    const outcome = googleErrorOutcome(answer, what);
    // A request Google calls invalid while polling is our bug or a passing fault, never the video's end.
    return outcome.kind === 'rejected' ? { kind: 'retry_later', message: outcome.message } : outcome;
  }
  const parsed = veoOperation.safeParse(answer.json);
  if (!parsed.success) return troubleFromStatus(answer, what);
  const operation = parsed.data;
  if (!operation.done) return { kind: 'processing', queued: false, progress: null };
  if (operation.error) {
    const message = operation.error.message ?? 'no message';
    return {
      kind: 'failed',
      code: safetyWords.test(message) ? 'content_policy_violation' : 'generation_failed',
      message: `Veo could not generate the video: ${message} (code ${operation.error.code ?? 'none'})`,
    };
  }
  const response = operation.response;
  const result = response?.generateVideoResponse ?? response;
  const video = response?.generateVideoResponse?.generatedSamples?.[0]?.video ?? response?.videos?.[0];
  if (video) return locate(video);
  const reasons = result?.raiMediaFilteredReasons ?? [];
  if ((result?.raiMediaFilteredCount ?? 0) > 0 || reasons.length > 0)
    return {
      kind: 'failed',
      code: 'content_policy_violation',
      message: `Veo filtered the video out: ${reasons.join('; ') || 'no reason given'}`,
    };
  return { kind: 'failed', code: 'generation_failed', message: 'Veo ended the operation without a video' };
}
