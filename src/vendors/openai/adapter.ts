/**
 * OpenAI's Videos API (Sora), and any upstream speaking the same API (another Reelay, an OpenAI-compatible
 * video service). Statuses queued → in_progress → completed | failed; results are served only to the account,
 * at /videos/{id}/content, so core fetches them signed. Sora models are checked against OpenAI's own limits;
 * other model names pass through for the upstream to judge.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { imageAsDataUrl } from '../image.js';
import type {
  ModelCapabilities,
  PollOutcome,
  PreparedSubmit,
  SubmitOutcome,
  VendorAdapter,
  VendorAnswer,
  VendorRejection,
  VendorTrouble,
  VideoFacts,
  VideoJob,
} from '../adapter.js';
import { retryAfterMs, troubleFromStatus } from '../answers.js';
import { parseMetadata } from '../mapping.js';
import { openaiAuthHeaders, openaiCredentials, type OpenAICredentials } from './auth.js';
import {
  openaiDefaults,
  openaiErrorAnswer,
  openaiSeconds,
  openaiSizes,
  openaiVideoAnswer,
  openaiVideoModels,
  type OpenAICreateBody,
} from './types.js';
import { jsonCall } from '../calls.js';

/** OpenAI takes no vendor-specific fields beyond its own body. */
const openaiMetadata = z.object({}).strict();

const isSora = (model: string) => /^sora-/.test(model);

/**
 * What a Sora model takes (OpenAI's SDK types: seconds, size; input_reference as the first frame, optional).
 * Other models on an OpenAI-compatible upstream are that upstream's to judge: no table. prepareSubmit checks
 * against this very table.
 */
function openaiCapabilities(model: string): ModelCapabilities | undefined {
  if (!isSora(model)) return undefined;
  return {
    durations: openaiSeconds.map(Number),
    // OpenAI takes exact sizes, not aspect ratios; the first listed is its default.
    aspectRatios: null,
    sizes: openaiSizes,
    images: { firstFrame: true, lastFrame: false, references: 0, required: false },
  };
}

/** OpenAI's error answers and what they mean for Reelay. */
function errorOutcome(answer: VendorAnswer, what: string): VendorRejection | VendorTrouble {
  const parsed = openaiErrorAnswer.safeParse(answer.json);
  if (!parsed.success) return troubleFromStatus(answer, what);
  const { message, code } = parsed.data.error;
  const text = `${what}: ${message}`;
  switch (answer.status) {
    case 400:
    case 422:
      return code === 'moderation_blocked'
        ? { kind: 'rejected', code: 'content_policy_violation', message: text }
        : { kind: 'rejected', code: 'vendor_invalid_request', message: text };
    case 401:
    case 403:
      return { kind: 'channel_broken', message: `${text} (HTTP ${answer.status})` };
    case 404:
      return { kind: 'channel_broken', message: `${text} (the base URL does not serve the Videos API)` };
    case 429:
      // Out of credit is the account's state, not a passing limit.
      return code === 'insufficient_quota'
        ? { kind: 'channel_broken', message: text }
        : { kind: 'retry_later', message: text, retryAfterMs: retryAfterMs(answer) };
    default:
      return {
        kind: 'retry_later',
        message: `${text} (HTTP ${answer.status})`,
        retryAfterMs: retryAfterMs(answer),
      };
  }
}

function factsOf(seconds: string | null | undefined, size: string | null | undefined): Partial<VideoFacts> {
  const facts: Partial<VideoFacts> = {};
  const duration = Number(seconds);
  if (seconds && Number.isFinite(duration)) facts.durationSeconds = duration;
  const match = size ? /^(\d+)x(\d+)$/.exec(size) : null;
  if (match) Object.assign(facts, { width: Number(match[1]), height: Number(match[2]) });
  return facts;
}

/** What a job will be: what was asked, else OpenAI's defaults for Sora, else unknown. */
function expectedFacts(job: VideoJob, seconds: string | undefined, size: string | undefined): VideoFacts {
  const sora = isSora(job.upstreamModel);
  const facts = factsOf(
    seconds ?? (sora ? openaiDefaults.seconds : undefined),
    size ?? (sora ? openaiDefaults.size : undefined),
  );
  return { durationSeconds: null, fps: null, width: null, height: null, seed: null, ...facts };
}

export const openaiAdapter: VendorAdapter<OpenAICredentials> = {
  vendor: 'openai',
  credentials: openaiCredentials,
  defaultBaseUrl: 'https://api.openai.com/v1',
  models: openaiVideoModels,
  capabilities: openaiCapabilities,

  prepareSubmit(job: VideoJob): PreparedSubmit {
    parseMetadata(openaiMetadata, job.metadata);
    if (job.fps !== null)
      throw new InvalidRequestError('OpenAI does not let the frame rate be chosen; omit fps', 'fps');
    const can = openaiCapabilities(job.upstreamModel);
    const seconds = job.durationSeconds === null ? undefined : String(job.durationSeconds);
    if (can?.durations && job.durationSeconds !== null && !can.durations.includes(job.durationSeconds)) {
      throw new InvalidRequestError(
        `OpenAI renders ${can.durations.join(', ')} second videos, not ${seconds}`,
        'duration',
      );
    }
    const size = job.width !== null && job.height !== null ? `${job.width}x${job.height}` : undefined;
    if (can?.sizes && size !== undefined && !can.sizes.includes(size)) {
      throw new InvalidRequestError(
        `OpenAI renders videos of ${can.sizes.join(', ')} pixels, not ${size}`,
        'size',
      );
    }
    const body: OpenAICreateBody = { model: job.upstreamModel, prompt: job.prompt };
    if (seconds !== undefined) body.seconds = seconds;
    if (size !== undefined) body.size = size;
    // The first frame as an image_url (a URL or a data URL) keeps the body JSON.
    if (job.image) body.input_reference = { image_url: imageAsDataUrl(job.image) };
    return {
      call: { method: 'POST', path: '/videos', body },
      pollContext: {},
      expected: expectedFacts(job, seconds, size),
      warnings:
        job.seed === null
          ? []
          : [
              {
                feature: 'seed',
                details:
                  'OpenAI has no seed parameter: the seed was not sent and the result is not reproducible',
              },
            ],
    };
  },

  prepareRemix(job, sourceUpstreamTaskId) {
    if (job.prompt.length > 32_000)
      throw new InvalidRequestError('OpenAI accepts prompts of at most 32000 characters', 'prompt');
    return {
      call: {
        method: 'POST',
        path: `/videos/${encodeURIComponent(sourceUpstreamTaskId)}/remix`,
        body: { prompt: job.prompt },
      },
      pollContext: {},
      // A remix keeps its source's length and size, which the job carries over.
      expected: {
        durationSeconds: job.durationSeconds,
        fps: null,
        width: job.width,
        height: job.height,
        seed: null,
      },
      warnings: [],
    };
  },

  readSubmit(answer): SubmitOutcome {
    if (answer.status !== 200) return errorOutcome(answer, 'OpenAI submit');
    const video = openaiVideoAnswer.safeParse(answer.json);
    if (!video.success) return { kind: 'retry_later', message: 'OpenAI submit: accepted without a video id' };
    return { kind: 'accepted', upstreamTaskId: video.data.id };
  },

  preparePoll(upstreamTaskId) {
    return { method: 'GET', path: `/videos/${encodeURIComponent(upstreamTaskId)}` };
  },

  readPoll(answer): PollOutcome {
    if (answer.status === 404)
      return { kind: 'failed', code: 'vendor_task_lost', message: 'OpenAI no longer knows this video' };
    if (answer.status !== 200) {
      const outcome = errorOutcome(answer, 'OpenAI poll');
      // A request OpenAI calls invalid while polling is our bug, not a reason to fail the video: retry later.
      return outcome.kind === 'rejected' ? { kind: 'retry_later', message: outcome.message } : outcome;
    }
    const parsed = openaiVideoAnswer.safeParse(answer.json);
    if (!parsed.success)
      return { kind: 'retry_later', message: 'OpenAI poll: an answer that is not a video' };
    const video = parsed.data;
    const progress = video.progress ?? null;
    switch (video.status) {
      case 'queued':
        return { kind: 'processing', queued: true, progress };
      case 'in_progress':
        return { kind: 'processing', queued: false, progress };
      case 'completed': {
        const content = `/videos/${encodeURIComponent(video.id)}/content`;
        return {
          kind: 'succeeded',
          url: content,
          coverUrl: `${content}?variant=thumbnail`,
          facts: factsOf(video.seconds, video.size),
        };
      }
      case 'failed':
        return {
          kind: 'failed',
          code: video.error?.code || 'generation_failed',
          message: video.error?.message || 'OpenAI reported the video failed',
        };
    }
  },

  async sign(call, baseUrl, credentials) {
    return jsonCall(call, baseUrl, openaiAuthHeaders(credentials));
  },
};
