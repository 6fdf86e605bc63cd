/**
 * Runway: `POST /v1/text_to_video` or `/v1/image_to_video` answers a task id; `GET /v1/tasks/{id}` moves
 * PENDING | THROTTLED → RUNNING → SUCCEEDED | FAILED | CANCELLED; `DELETE /v1/tasks/{id}` cancels.
 * Sources: runwayml/sdk-node v4.12 (src/resources/tasks.ts, image-to-video.ts, text-to-video.ts),
 * docs.dev.runwayml.com/errors/task-failures (failureCode families).
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { imageAsDataUrl, parseImage } from '../image.js';
import type {
  ModelCapabilities,
  CancelOutcome,
  ImageInput,
  PollOutcome,
  VendorAdapter,
  VendorAnswer,
  VendorRejection,
  VendorTrouble,
  VendorWarning,
  VideoJob,
} from '../adapter.js';
import { retryAfterMs, troubleFromStatus } from '../answers.js';
import { defaultFirst } from '../choices.js';
import { jsonCall } from '../calls.js';
import { agreed, parseMetadata } from '../mapping.js';
import { runwayAuthHeaders, runwayCredentials, type RunwayCredentials } from './auth.js';
import {
  runwayCreateAnswer,
  runwayError,
  runwayModelRules,
  runwayModels,
  runwayTask,
  type RunwayCreateBody,
  type RunwayEndpoint,
  type RunwayModelRule,
} from './types.js';

/** The metadata keys a client may send for Runway, in Runway's own names. */
const runwayMetadata = z
  .object({
    ratio: z
      .string()
      .regex(/^\d+:\d+$/)
      .optional(),
    duration: z.number().int().positive().optional(),
    audio: z.boolean().optional(),
    negativePrompt: z.string().min(1).optional(),
    contentModeration: z
      .object({ publicFigureThreshold: z.enum(['auto', 'low']) })
      .strict()
      .optional(),
    /** Runway's frame list, for a last frame: [{uri, position: "first" | "last"}]. */
    promptImage: z
      .array(z.object({ uri: z.string().min(1), position: z.enum(['first', 'last']) }).strict())
      .min(1)
      .max(2)
      .optional(),
  })
  .strict();
type RunwayMetadata = z.infer<typeof runwayMetadata>;

function ruleFor(model: string): RunwayModelRule {
  if (Object.hasOwn(runwayModelRules, model)) return runwayModelRules[model]!;
  throw new InvalidRequestError(
    `Runway serves ${runwayModels.join(', ')}; ${model} is not one of them`,
    'model',
  );
}

/** An HTTPS URL or a data URI (docs.dev.runwayml.com/assets/inputs: "All URLs must be HTTPS"; data URIs under 5 MB). */
function runwayImage(image: ImageInput, param: string): string {
  if (image.kind === 'url' && !image.url.startsWith('https://'))
    throw new InvalidRequestError(
      'Runway fetches images over HTTPS only: give an https URL or the bytes',
      param,
    );
  return imageAsDataUrl(image);
}

/** The prompt image: the client's image, or Runway's own frame list from metadata. */
/**
 * What a model takes, from the rule prepareSubmit checks against. Runway's ratios are pixel sizes ("1280:720"),
 * listed as sizes, text-to-video's first (its default); a model without text_to_video needs an image.
 */
function runwayCapabilities(model: string): ModelCapabilities | undefined {
  if (!Object.hasOwn(runwayModelRules, model)) return undefined;
  const rule = runwayModelRules[model]!;
  const { text_to_video: text = [], image_to_video: image } = rule.ratios;
  return {
    durations: defaultFirst(rule.durations, rule.defaultDuration),
    aspectRatios: null,
    sizes: [...new Set([...text, ...image])].map((ratio) => ratio.replace(':', 'x')),
    images: { firstFrame: true, lastFrame: rule.lastFrame, references: 0, required: text.length === 0 },
  };
}

function promptImageOf(job: VideoJob, meta: RunwayMetadata, rule: RunwayModelRule) {
  if (job.image && meta.promptImage)
    throw new InvalidRequestError(
      'Give the first frame as image or in metadata.promptImage, not both',
      'metadata.promptImage',
    );
  if (job.image) return runwayImage(job.image, 'image');
  if (!meta.promptImage) return undefined;
  const positions = meta.promptImage.map((frame) => frame.position);
  if (positions[0] !== 'first' || new Set(positions).size !== positions.length)
    throw new InvalidRequestError(
      'metadata.promptImage starts with the first frame, then at most one last frame',
      'metadata.promptImage',
    );
  if (positions.includes('last') && !rule.lastFrame)
    throw new InvalidRequestError(`Runway ${job.upstreamModel} takes no last frame`, 'metadata.promptImage');
  return meta.promptImage.map((frame, i) => ({
    uri: runwayImage(parseImage(frame.uri, `metadata.promptImage.${i}.uri`), `metadata.promptImage.${i}.uri`),
    position: frame.position,
  }));
}

function chooseRatio(job: VideoJob, meta: RunwayMetadata, ratios: readonly string[], where: string): string {
  const fromSize = job.width !== null && job.height !== null ? `${job.width}:${job.height}` : null;
  const given = agreed({ value: fromSize, param: 'size' }, { value: meta.ratio, param: 'metadata.ratio' });
  const ratio = given?.value ?? ratios[0]!;
  if (!ratios.includes(ratio))
    throw new InvalidRequestError(
      `Runway ${where} renders ${ratios.map((r) => r.replace(':', 'x')).join(', ')}, not ${ratio.replace(':', 'x')}`,
      given?.param ?? 'size',
    );
  return ratio;
}

const describeSeconds = (durations: readonly number[]) =>
  durations.length > 3 ? `${durations[0]} to ${durations.at(-1)}` : durations.join(', ');

function chooseDuration(job: VideoJob, meta: RunwayMetadata, rule: RunwayModelRule, model: string): number {
  const given = agreed(
    { value: job.durationSeconds, param: 'duration' },
    { value: meta.duration, param: 'metadata.duration' },
  );
  const duration = given?.value ?? rule.defaultDuration;
  if (!rule.durations.includes(duration))
    throw new InvalidRequestError(
      `Runway ${model} renders ${describeSeconds(rule.durations)} second videos, not ${duration}`,
      given?.param ?? 'duration',
    );
  return duration;
}

// [UNVERIFIED] the words of Runway's refusals for credits and moderation at submit; matched loosely.
const outOfCredits = /credit/i;
const moderated = /moderation|safety|content policy/i;

function errorOutcome(answer: VendorAnswer, what: string): VendorRejection | VendorTrouble {
  const parsed = runwayError.safeParse(answer.json);
  if (!parsed.success) return troubleFromStatus(answer, what);
  const text = `${what}: ${parsed.data.error}`;
  if (answer.status === 401 || answer.status === 403) return { kind: 'channel_broken', message: text };
  if (answer.status === 400 || answer.status === 422) {
    if (outOfCredits.test(parsed.data.error)) return { kind: 'channel_broken', message: text };
    return moderated.test(parsed.data.error)
      ? { kind: 'rejected', code: 'content_policy_violation', message: text }
      : { kind: 'rejected', code: 'vendor_invalid_request', message: text };
  }
  return {
    kind: 'retry_later',
    message: `${text} (HTTP ${answer.status})`,
    retryAfterMs: retryAfterMs(answer),
  };
}

/** A failed task's failureCode family as the client's error code (docs.dev.runwayml.com/errors/task-failures). */
function failureCodeOf(failureCode: string | undefined): string {
  if (!failureCode) return 'generation_failed';
  if (failureCode.startsWith('SAFETY.')) return 'content_policy_violation';
  if (failureCode.startsWith('ASSET.') || failureCode.startsWith('INPUT_PREPROCESSING.'))
    return 'invalid_input';
  return 'generation_failed';
}

const waiting: Record<string, boolean> = { PENDING: true, THROTTLED: true, RUNNING: false };

export const runwayAdapter: VendorAdapter<RunwayCredentials> = {
  vendor: 'runway',
  credentials: runwayCredentials,
  defaultBaseUrl: 'https://api.dev.runwayml.com',
  models: runwayModels,
  capabilities: runwayCapabilities,

  prepareSubmit(job: VideoJob) {
    const meta = parseMetadata(runwayMetadata, job.metadata);
    const model = job.upstreamModel;
    const rule = ruleFor(model);
    if (job.fps !== null)
      throw new InvalidRequestError('Runway does not let the frame rate be chosen; omit fps', 'fps');
    if (job.prompt.length > 1000)
      throw new InvalidRequestError('Runway accepts prompts of at most 1000 characters', 'prompt');
    const promptImage = promptImageOf(job, meta, rule);
    const endpoint: RunwayEndpoint = promptImage ? 'image_to_video' : 'text_to_video';
    const ratios = rule.ratios[endpoint];
    if (!ratios)
      throw new InvalidRequestError(`Runway ${model} makes videos from an image only: give image`, 'image');
    const ratio = chooseRatio(job, meta, ratios, `${model} ${endpoint}`);
    const duration = chooseDuration(job, meta, rule, model);
    if (!rule.veoOptions)
      for (const key of ['audio', 'negativePrompt'] as const)
        if (meta[key] !== undefined)
          throw new InvalidRequestError(`Runway ${model} does not take ${key}`, `metadata.${key}`);

    const warnings: VendorWarning[] = [];
    const body: RunwayCreateBody = { model, promptText: job.prompt, ratio };
    if (endpoint === 'text_to_video' || rule.durationOnImage) body.duration = duration;
    if (promptImage) body.promptImage = promptImage;
    if (job.seed !== null) {
      if (rule.seed) body.seed = job.seed;
      else warnings.push({ feature: 'seed', details: `Runway ${model} takes no seed: it was not sent` });
    }
    if (meta.audio !== undefined) body.audio = meta.audio;
    if (meta.negativePrompt !== undefined) body.negativePrompt = meta.negativePrompt;
    if (meta.contentModeration) body.contentModeration = meta.contentModeration;
    const [width, height] = ratio.split(':').map(Number) as [number, number];
    return {
      call: { method: 'POST', path: `/v1/${endpoint}`, body },
      pollContext: {},
      expected: {
        durationSeconds: duration,
        fps: null,
        width,
        height,
        seed: body.seed ?? null,
        shortSide: Math.min(width, height),
      },
      warnings,
    };
  },

  readSubmit(answer) {
    if (answer.status !== 200) return errorOutcome(answer, 'Runway submit');
    const created = runwayCreateAnswer.safeParse(answer.json);
    if (!created.success) return troubleFromStatus(answer, 'Runway submit');
    return { kind: 'accepted', upstreamTaskId: created.data.id };
  },

  preparePoll: (upstreamTaskId) => ({
    method: 'GET',
    path: `/v1/tasks/${encodeURIComponent(upstreamTaskId)}`,
  }),

  readPoll(answer): PollOutcome {
    if (answer.status === 404)
      return { kind: 'failed', code: 'vendor_task_lost', message: 'Runway no longer knows this task' };
    if (answer.status !== 200) {
      const outcome = errorOutcome(answer, 'Runway poll');
      return outcome.kind === 'rejected' ? { kind: 'retry_later', message: outcome.message } : outcome;
    }
    const parsed = runwayTask.safeParse(answer.json);
    if (!parsed.success) return troubleFromStatus(answer, 'Runway poll');
    const task = parsed.data;
    if (Object.hasOwn(waiting, task.status)) {
      // [UNVERIFIED] progress is a 0–1 fraction (the SDK types it only as a number).
      const progress = task.progress === undefined ? null : Math.round(Math.min(1, task.progress) * 100);
      return { kind: 'processing', queued: waiting[task.status]!, progress };
    }
    switch (task.status) {
      case 'SUCCEEDED':
        return task.output?.[0]
          ? { kind: 'succeeded', url: task.output[0], coverUrl: null, facts: {} }
          : { kind: 'retry_later', message: 'Runway reported success without an output' };
      case 'FAILED':
        return {
          kind: 'failed',
          code: failureCodeOf(task.failureCode),
          message: `Runway could not generate the video: ${task.failure ?? 'no reason given'} (${task.failureCode ?? 'no failureCode'})`,
        };
      case 'CANCELLED':
        return { kind: 'failed', code: 'cancelled', message: 'The task was cancelled on Runway' };
      default:
        return {
          kind: 'retry_later',
          message: `Runway reported an unknown task status ${JSON.stringify(task.status)}`,
        };
    }
  },

  // DELETE cancels a task still waiting or running, and deletes an ended one (sdk-node tasks.delete).
  prepareCancel: (upstreamTaskId) => ({
    method: 'DELETE',
    path: `/v1/tasks/${encodeURIComponent(upstreamTaskId)}`,
  }),

  readCancel(answer): CancelOutcome {
    if (answer.status === 204 || answer.status === 200) return { kind: 'cancelled' };
    if (answer.status === 404) return { kind: 'not_cancellable', reason: 'Runway no longer knows this task' };
    const outcome = errorOutcome(answer, 'Runway cancel');
    return outcome.kind === 'rejected' ? { kind: 'not_cancellable', reason: outcome.message } : outcome;
  },

  async sign(call, baseUrl, credentials) {
    return jsonCall(call, baseUrl, runwayAuthHeaders(credentials));
  },
};
