/**
 * Seedance (ByteDance Doubao video on Volcengine Ark): Bearer API key; one create endpoint whose `content[]` holds
 * the prompt and the images by role; tasks move queued → running → succeeded | failed | expired (cancelled by
 * DELETE while queued); Ark calls back on every status change when given a callback_url.
 */
import { z } from 'zod';
import type {
  ModelCapabilities,
  CancelOutcome,
  PollOutcome,
  PreparedSubmit,
  VendorAdapter,
  VendorAnswer,
  VendorWarning,
  VideoJob,
} from '../adapter.js';
import { isObject, troubleFromStatus } from '../answers.js';
import { apiKeyCredentials, bearerHeader, type ApiKeyCredentials } from '../bearer.js';
import { jsonCall } from '../calls.js';
import { aspectOfSize, defaultFirst, reconcile, requireOneOf, tierOfSize, wholeSeconds } from '../choices.js';
import { InvalidRequestError } from '../errors.js';
import { imageAsDataUrl, parseImage } from '../image.js';
import { dimensionsFor, parseMetadata } from '../mapping.js';
import { kindOfCode, pollRefusal, submitRefusal, type Refusal, type RefusalKind } from '../refusals.js';
import {
  seedanceCreated,
  seedanceErrorBody,
  seedanceModelRules,
  seedanceModels,
  seedanceRatios,
  seedanceResolutions,
  seedanceTask,
  seedanceTiers,
  type SeedanceContent,
  type SeedanceCreateBody,
  type SeedanceImageRole,
  type SeedanceModelRule,
  type SeedanceRatio,
} from './types.js';

const tasksPath = '/api/v3/contents/generations/tasks';

/** Reference images a request may carry (Ark: 1–4 reference_image items). */
const maxReferenceImages = 4;
/** What Seedance renders when not asked. */
const seedanceDefaults = { seconds: 5, resolution: '720p' } as const;

/** The metadata keys a client may send for Seedance, in Ark's own names (images by their content role). */
const seedanceMetadata = z
  .object({
    last_frame: z.string().min(1).optional(),
    reference_images: z.array(z.string().min(1)).min(1).max(maxReferenceImages).optional(),
    resolution: z.enum(seedanceResolutions).optional(),
    ratio: z.enum([...seedanceRatios, 'adaptive']).optional(),
    camera_fixed: z.boolean().optional(),
    watermark: z.boolean().optional(),
    generate_audio: z.boolean().optional(),
    return_last_frame: z.boolean().optional(),
    service_tier: z.enum(['default', 'flex']).optional(),
    // docs/82379/1520758 (create): execution_expires_after in seconds, [3600, 259200].
    execution_expires_after: z.number().int().min(3600).max(259_200).optional(),
  })
  .strict();
type SeedanceMetadata = z.infer<typeof seedanceMetadata>;

const passThroughKeys = [
  'camera_fixed',
  'watermark',
  'generate_audio',
  'return_last_frame',
  'service_tier',
  'execution_expires_after',
] as const;

/**
 * What a model takes, from the rule prepareSubmit checks against; the defaults come first. Aspect ratios are
 * exact (a size must have one of them); with images and no ratio the video follows the first image.
 */
function seedanceCapabilities(model: string): ModelCapabilities | undefined {
  if (!Object.hasOwn(seedanceModelRules, model)) return undefined;
  const rule = seedanceModelRules[model]!;
  return {
    durations: defaultFirst(rule.durations, seedanceDefaults.seconds),
    aspectRatios: seedanceRatios,
    resolutions: defaultFirst<string>(rule.resolutions, seedanceDefaults.resolution),
    images: {
      firstFrame: rule.roles.includes('first_frame'),
      lastFrame: rule.roles.includes('last_frame'),
      references: rule.roles.includes('reference_image') ? maxReferenceImages : 0,
      required: !rule.textToVideo,
    },
  };
}

function ruleFor(model: string): SeedanceModelRule {
  if (Object.hasOwn(seedanceModelRules, model)) return seedanceModelRules[model]!;
  throw new InvalidRequestError(
    `Seedance serves ${seedanceModels.join(', ')}; ${model} is not one of them`,
    'model',
  );
}

const image = (value: string, param: string) => imageAsDataUrl(parseImage(value, param));

/** The prompt and the images as Ark's content items, each image role checked against the model. */
function contentFor(job: VideoJob, meta: SeedanceMetadata, rule: SeedanceModelRule): SeedanceContent[] {
  const model = job.upstreamModel;
  const content: SeedanceContent[] = [{ type: 'text', text: job.prompt }];
  const add = (url: string, role: SeedanceImageRole, param: string) => {
    if (!rule.roles.includes(role))
      throw new InvalidRequestError(`Seedance ${model} does not take a ${role.replace('_', ' ')}`, param);
    content.push({ type: 'image_url', image_url: { url }, role });
  };
  if (meta.reference_images && (job.image || meta.last_frame)) {
    throw new InvalidRequestError(
      'metadata.reference_images cannot be combined with first or last frames (image, metadata.last_frame)',
      'metadata.reference_images',
    );
  }
  if (job.image) add(imageAsDataUrl(job.image), 'first_frame', 'image');
  if (meta.last_frame) {
    if (!job.image)
      throw new InvalidRequestError(
        'metadata.last_frame needs a first frame in image',
        'metadata.last_frame',
      );
    add(image(meta.last_frame, 'metadata.last_frame'), 'last_frame', 'metadata.last_frame');
  }
  meta.reference_images?.forEach((value, i) =>
    add(image(value, `metadata.reference_images.${i}`), 'reference_image', 'metadata.reference_images'),
  );
  if (content.length === 1 && !rule.textToVideo) {
    throw new InvalidRequestError(`Seedance ${model} makes videos from images only; give image`, 'image');
  }
  return content;
}

function chooseRatio(job: VideoJob, meta: SeedanceMetadata, fromImages: boolean): SeedanceRatio {
  const given = reconcile<SeedanceRatio>(
    { value: aspectOfSize(job, seedanceRatios, 'Seedance'), param: 'size' },
    { value: meta.ratio, param: 'metadata.ratio' },
  );
  if (given?.value === 'adaptive' && !fromImages) {
    throw new InvalidRequestError(
      'metadata.ratio adaptive follows an input image; give image',
      'metadata.ratio',
    );
  }
  // Text-to-video defaults to 16:9; from images, the video follows the first image unless a ratio is asked.
  return given?.value ?? (fromImages ? 'adaptive' : '16:9');
}

function warningsFor(meta: SeedanceMetadata): VendorWarning[] {
  if (meta.service_tier !== 'flex') return [];
  return [
    {
      feature: 'metadata.service_tier',
      details:
        'Seedance runs flex tasks offline, within execution_expires_after: the task fails if Ark takes longer than this gateway waits',
    },
  ];
}

/** Ark's codes by kind (docs/82379/1299023); a code ending in a detail (".PrivacyInformation") counts as its stem. */
const refusalKinds: [RegExp, RefusalKind][] = [
  [/SensitiveContentDetected|RiskDetection/, 'content_policy'],
  [/^(AuthenticationError|AccountOverdueError|AccessDenied|ModelNotOpen|InvalidEndpointOrModel)/, 'account'],
  [
    /^(RateLimitExceeded|QuotaExceeded|ServerOverloaded|InternalServiceError|ServiceUnavailable)/,
    'transient',
  ],
  [/^(InvalidParameter|MissingParameter|InvalidArgumentError|BadRequest)/, 'invalid_request'],
];

function readRefusal(answer: VendorAnswer): Refusal | null {
  const parsed = seedanceErrorBody.safeParse(answer.json);
  if (!parsed.success) return null;
  const { code, message } = parsed.data.error;
  const kind = kindOfCode(code, refusalKinds);
  if (!kind) return null;
  return { kind, text: `Seedance ${code}: ${message}` };
}

/** A failed task's error code as the client's: content safety or the generation itself. */
function taskFailure(error: { code: string; message: string } | null | undefined) {
  if (!error)
    return { code: 'generation_failed', message: 'Seedance reported the task failed (no error given)' };
  const content = /SensitiveContentDetected|RiskDetection/.test(error.code);
  return {
    code: content ? 'content_policy_violation' : 'generation_failed',
    message: `Seedance could not generate the video: ${error.message} (${error.code})`,
  };
}

/** Ark's states and what they mean while the task is on its way or has ended without a video. */
const waitingStates: Record<string, PollOutcome> = {
  queued: { kind: 'processing', queued: true, progress: null },
  running: { kind: 'processing', queued: false, progress: null },
  expired: {
    kind: 'failed',
    code: 'vendor_task_expired',
    message: 'Seedance gave up on the task: it did not run within execution_expires_after',
  },
  cancelled: { kind: 'failed', code: 'cancelled', message: 'The task was cancelled at Seedance' },
};

const shortSides: Record<string, number> = { '480p': 480, '720p': 720, '1080p': 1080 };

export const seedanceAdapter: VendorAdapter<ApiKeyCredentials> = {
  vendor: 'seedance',
  credentials: apiKeyCredentials,
  defaultBaseUrl: 'https://ark.cn-beijing.volces.com',
  models: seedanceModels,
  capabilities: seedanceCapabilities,

  prepareSubmit(job: VideoJob): PreparedSubmit {
    const meta = parseMetadata(seedanceMetadata, job.metadata);
    if (job.fps !== null)
      throw new InvalidRequestError('Seedance renders 24 fps and does not let it be chosen; omit fps', 'fps');
    const model = job.upstreamModel;
    const rule = ruleFor(model);
    const content = contentFor(job, meta, rule);
    const fromImages = content.length > 1;

    const durationGiven = wholeSeconds(job, 'Seedance');
    const duration = requireOneOf(
      { value: durationGiven ?? seedanceDefaults.seconds, param: 'duration' },
      rule.durations,
      `Seedance ${model}`,
    );
    const resolutionGiven = reconcile(
      { value: tierOfSize(job, seedanceTiers, 'Seedance'), param: 'size' },
      { value: meta.resolution, param: 'metadata.resolution' },
    );
    const resolution = requireOneOf(
      resolutionGiven ?? { value: seedanceDefaults.resolution, param: 'metadata.resolution' },
      rule.resolutions,
      `Seedance ${model}`,
    );
    const ratio = chooseRatio(job, meta, fromImages);
    if (meta.generate_audio !== undefined && !rule.audio) {
      throw new InvalidRequestError(`Seedance ${model} does not generate audio`, 'metadata.generate_audio');
    }
    if (job.seed !== null && (job.seed < -1 || job.seed > 2 ** 32 - 1)) {
      throw new InvalidRequestError('Seedance takes a seed from -1 (random) to 4294967295', 'seed');
    }

    const body: SeedanceCreateBody = {
      model,
      content,
      resolution,
      ratio,
      duration,
      ...(job.seed !== null ? { seed: job.seed } : {}),
      ...Object.fromEntries(passThroughKeys.filter((k) => meta[k] !== undefined).map((k) => [k, meta[k]])),
      ...(job.vendorCallbackUrl ? { callback_url: job.vendorCallbackUrl } : {}),
    };
    const size = ratio === 'adaptive' ? null : dimensionsFor(ratio, shortSides[resolution]!);
    return {
      call: { method: 'POST', path: tasksPath, body },
      pollContext: {},
      expected: {
        durationSeconds: duration,
        fps: 24,
        width: size?.width ?? null,
        height: size?.height ?? null,
        seed: job.seed !== null && job.seed >= 0 ? job.seed : null,
        shortSide: shortSides[resolution]!,
      },
      warnings: warningsFor(meta),
    };
  },

  readSubmit(answer) {
    if (answer.status === 200) {
      const created = seedanceCreated.safeParse(answer.json);
      if (created.success) return { kind: 'accepted', upstreamTaskId: created.data.id };
    }
    const refusal = readRefusal(answer);
    return refusal ? submitRefusal(refusal, answer) : troubleFromStatus(answer, 'Seedance submit');
  },

  preparePoll(upstreamTaskId) {
    return { method: 'GET', path: `${tasksPath}/${encodeURIComponent(upstreamTaskId)}` };
  },

  readPoll(answer): PollOutcome {
    if (answer.status === 404) {
      return { kind: 'failed', code: 'vendor_task_lost', message: 'Seedance no longer knows this task' };
    }
    if (answer.status !== 200) {
      const refusal = readRefusal(answer);
      return refusal ? pollRefusal(refusal, answer) : troubleFromStatus(answer, 'Seedance poll');
    }
    const parsed = seedanceTask.safeParse(answer.json);
    if (!parsed.success) return troubleFromStatus(answer, 'Seedance poll');
    const task = parsed.data;
    if (Object.hasOwn(waitingStates, task.status)) return waitingStates[task.status]!;
    if (task.status === 'failed') return { kind: 'failed', ...taskFailure(task.error) };
    if (task.status !== 'succeeded') {
      return {
        kind: 'retry_later',
        message: `Seedance reported an unknown status ${JSON.stringify(task.status)}`,
      };
    }
    const url = task.content?.video_url;
    if (!url) return { kind: 'retry_later', message: 'Seedance reported success without a video' };
    const shortSide = task.resolution ? shortSides[task.resolution] : undefined;
    const ratio = seedanceRatios.find((r) => r === task.ratio);
    const size = ratio && shortSide ? dimensionsFor(ratio, shortSide) : null;
    // Ark reports what it produced: duration, frame rate, the seed it used, resolution and ratio.
    return {
      kind: 'succeeded',
      url,
      coverUrl: null,
      facts: {
        ...(task.duration != null ? { durationSeconds: task.duration } : {}),
        ...(task.framespersecond != null ? { fps: task.framespersecond } : {}),
        ...(task.seed != null ? { seed: task.seed } : {}),
        ...(shortSide ? { shortSide } : {}),
        ...(size ?? {}),
      },
    };
  },

  async sign(call, baseUrl, credentials) {
    return jsonCall(call, baseUrl, bearerHeader(credentials));
  },

  // Ark calls back on every status change (docs/82379/1366799 "回调"): only an end is worth a poll.
  callbackWorthAPoll(body) {
    const status = isObject(body) ? body.status : undefined;
    return status !== 'queued' && status !== 'running';
  },

  // Ark's cancel/delete reference (as BytePlus resellers mirror it): DELETE cancels a queued task; a running one cannot be.
  prepareCancel(upstreamTaskId) {
    return { method: 'DELETE', path: `${tasksPath}/${encodeURIComponent(upstreamTaskId)}` };
  },

  readCancel(answer): CancelOutcome {
    if (answer.status >= 200 && answer.status < 300) return { kind: 'cancelled' };
    const refusal = readRefusal(answer);
    if (refusal?.kind === 'account') return { kind: 'channel_broken', message: refusal.text };
    const error = seedanceErrorBody.safeParse(answer.json);
    // Ark refuses to cancel a running (or already cancelled) task; its code for that is not documented, so any
    // other 4xx in Ark's error shape is read as "cannot be cancelled", with Ark's words.
    if (error.success && answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
      return {
        kind: 'not_cancellable',
        reason: `Seedance ${error.data.error.code}: ${error.data.error.message}`,
      };
    }
    return troubleFromStatus(answer, 'Seedance cancel');
  },
};
