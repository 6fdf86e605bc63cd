/**
 * MiniMax Hailuo: Bearer API key; one create endpoint (text, first frame, first and last frame); tasks move
 * Preparing → Queueing → Processing → Success | Fail, and a success names a file whose download URL the file
 * retrieve call gives (a follow call). Every business error is HTTP 200 with a non-zero base_resp.status_code.
 * MiniMax verifies a callback URL with a challenge to echo, then posts status changes to it.
 */
import { z } from 'zod';
import type {
  ModelCapabilities,
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
import { reconcile, requireOneOf, tierOfSize, wholeSeconds } from '../choices.js';
import { InvalidRequestError } from '../errors.js';
import { imageAsDataUrl, parseImage } from '../image.js';
import { parseMetadata } from '../mapping.js';
import { pollRefusal, submitRefusal, type Refusal, type RefusalKind } from '../refusals.js';
import {
  hailuoCreated,
  hailuoFile,
  hailuoModelRules,
  hailuoModels,
  hailuoQuery,
  hailuoResolutions,
  hailuoTiers,
  shortSideOf,
  type HailuoCreateBody,
  type HailuoModelRule,
  type HailuoResolution,
} from './types.js';

/** The metadata keys a client may send for MiniMax, in MiniMax's own names. */
const hailuoMetadata = z
  .object({
    last_frame_image: z.string().min(1).optional(),
    resolution: z.enum(hailuoResolutions).optional(),
    prompt_optimizer: z.boolean().optional(),
    fast_pretreatment: z.boolean().optional(),
    aigc_watermark: z.boolean().optional(),
  })
  .strict();
type HailuoMetadata = z.infer<typeof hailuoMetadata>;

/**
 * What a model takes, from the rule prepareSubmit checks against: resolutions with or without a first frame
 * (MiniMax takes no aspect ratio: the vendor decides, hence null), a last frame where the rule has resolutions
 * for one, an image required where it renders nothing from text.
 */
function hailuoCapabilities(model: string): ModelCapabilities | undefined {
  if (!Object.hasOwn(hailuoModelRules, model)) return undefined;
  const rule = hailuoModelRules[model]!;
  return {
    durations: rule.durations,
    aspectRatios: null,
    resolutions: [...new Set([...rule.textResolutions, ...rule.imageResolutions])],
    images: {
      firstFrame: rule.imageResolutions.length > 0,
      lastFrame: rule.lastFrameResolutions.length > 0,
      references: 0,
      required: rule.textResolutions.length === 0,
    },
  };
}

function ruleFor(model: string): HailuoModelRule {
  if (Object.hasOwn(hailuoModelRules, model)) return hailuoModelRules[model]!;
  throw new InvalidRequestError(
    `MiniMax serves ${hailuoModels.join(', ')}; ${model} is not one of them`,
    'model',
  );
}

/**
 * base_resp.status_code by kind: 1002 rate limit, 1008 balance and 2013 parameters as MiniMax's API clients read
 * them; 1004, 1026 and 2049 from the reference notes (MiniMax's error table); [unverified] 1000, 1001, 1013, 1027
 * and 1039, not seen for video.
 */
const refusalKinds: Record<number, RefusalKind> = {
  1000: 'transient', // unknown error
  1001: 'transient', // timeout
  1002: 'transient', // rate limit
  1013: 'transient', // internal service error
  1039: 'transient', // token rate limit
  1004: 'account', // authentication failed
  1008: 'account', // insufficient balance
  2049: 'account', // invalid API key
  1026: 'content_policy', // input flagged as sensitive
  1027: 'content_policy', // output flagged as sensitive
  2013: 'invalid_request', // invalid parameters
};

/** A non-zero base_resp as a refusal; an undocumented code is read as transient (another try, or another channel). */
function refusalOf(code: number, message: string | undefined): Refusal {
  return { kind: refusalKinds[code] ?? 'transient', text: `MiniMax ${code}: ${message ?? 'no message'}` };
}

function readBaseResp(answer: VendorAnswer): { status_code: number; status_msg?: string } | null {
  const json = answer.json;
  if (!isObject(json) || !isObject(json.base_resp)) return null;
  const code = json.base_resp.status_code;
  return typeof code === 'number' ? (json.base_resp as { status_code: number; status_msg?: string }) : null;
}

function chooseResolution(
  job: VideoJob,
  meta: HailuoMetadata,
  allowed: readonly HailuoResolution[],
  where: string,
) {
  const given = reconcile(
    { value: tierOfSize(job, hailuoTiers, 'MiniMax'), param: 'size' },
    { value: meta.resolution, param: 'metadata.resolution' },
  );
  // MiniMax's default: 768P on the 02 and 2.3 models, 720P on the 01 series; sent explicitly.
  const fallback = allowed.includes('768P') ? '768P' : allowed[0]!;
  return requireOneOf(given ?? { value: fallback, param: 'metadata.resolution' }, allowed, where);
}

function warningsFor(job: VideoJob): VendorWarning[] {
  const warnings: VendorWarning[] = [];
  if (job.seed !== null)
    warnings.push({ feature: 'seed', details: 'MiniMax has no seed: the video is not reproducible' });
  if (job.image && job.width !== null) {
    warnings.push({
      feature: 'size',
      details:
        "MiniMax follows the first frame's aspect ratio: only the resolution was taken from the requested size",
    });
  }
  return warnings;
}

const waitingStates: Record<string, PollOutcome> = {
  Preparing: { kind: 'processing', queued: true, progress: null },
  Queueing: { kind: 'processing', queued: true, progress: null },
  Processing: { kind: 'processing', queued: false, progress: null },
};

/** The file retrieve answer: the video's download URL (valid for hours; Reelay copies it). */
function readFile(answer: VendorAnswer): PollOutcome {
  const file = hailuoFile.safeParse(answer.json);
  if (!file.success) return troubleFromStatus(answer, 'MiniMax file retrieve');
  return { kind: 'succeeded', url: file.data.file.download_url, coverUrl: null, facts: {} };
}

function readQuery(answer: VendorAnswer): PollOutcome {
  const query = hailuoQuery.safeParse(answer.json);
  if (!query.success) return troubleFromStatus(answer, 'MiniMax poll');
  const { status, file_id: fileId, base_resp: resp, video_width: width, video_height: height } = query.data;
  if (Object.hasOwn(waitingStates, status)) return waitingStates[status]!;
  if (status === 'Success') {
    if (fileId === undefined || fileId === '')
      return { kind: 'retry_later', message: 'MiniMax reported success without a file' };
    return {
      kind: 'follow',
      call: { method: 'GET', path: `/v1/files/retrieve?file_id=${encodeURIComponent(String(fileId))}` },
      // The query reports the size; the file retrieve that follows does not.
      ...(width && height ? { facts: { width, height } } : {}),
    };
  }
  if (status === 'Fail') {
    const content = resp && refusalKinds[resp.status_code] === 'content_policy';
    const reason =
      resp && resp.status_code !== 0
        ? `${resp.status_msg ?? ''} (status_code ${resp.status_code})`
        : 'no reason given';
    return {
      kind: 'failed',
      code: content ? 'content_policy_violation' : 'generation_failed',
      message: `MiniMax could not generate the video: ${reason}`,
    };
  }
  return {
    kind: 'retry_later',
    message: `MiniMax reported an unknown task status ${JSON.stringify(status)}`,
  };
}

export const hailuoAdapter: VendorAdapter<ApiKeyCredentials> = {
  vendor: 'hailuo',
  credentials: apiKeyCredentials,
  defaultBaseUrl: 'https://api.minimax.io',
  models: hailuoModels,
  capabilities: hailuoCapabilities,

  prepareSubmit(job: VideoJob): PreparedSubmit {
    const meta = parseMetadata(hailuoMetadata, job.metadata);
    if (job.fps !== null)
      throw new InvalidRequestError('MiniMax does not let the frame rate be chosen; omit fps', 'fps');
    if (job.prompt.length > 2000)
      throw new InvalidRequestError('MiniMax accepts prompts of at most 2000 characters', 'prompt');
    const model = job.upstreamModel;
    const rule = ruleFor(model);
    const where = `MiniMax ${model}`;
    if (job.image && rule.imageResolutions.length === 0)
      throw new InvalidRequestError(`${where} makes videos from text only; omit image`, 'image');
    if (!job.image && rule.textResolutions.length === 0)
      throw new InvalidRequestError(`${where} makes videos from a first frame; give image`, 'image');
    if (meta.last_frame_image && !job.image)
      throw new InvalidRequestError(
        'metadata.last_frame_image needs a first frame in image',
        'metadata.last_frame_image',
      );

    const allowed = meta.last_frame_image
      ? rule.lastFrameResolutions
      : job.image
        ? rule.imageResolutions
        : rule.textResolutions;
    if (allowed.length === 0)
      throw new InvalidRequestError(`${where} takes no last frame`, 'metadata.last_frame_image');
    const resolution = chooseResolution(
      job,
      meta,
      allowed,
      meta.last_frame_image ? `${where} with a last frame` : where,
    );
    const duration = requireOneOf(
      { value: wholeSeconds(job, 'MiniMax') ?? 6, param: 'duration' },
      rule.tenSecondsAt.includes(resolution) ? rule.durations : [6],
      `${where} at ${resolution}`,
    );
    if (meta.fast_pretreatment !== undefined && !rule.fastPretreatment)
      throw new InvalidRequestError(`${where} has no fast_pretreatment`, 'metadata.fast_pretreatment');

    const body: HailuoCreateBody = {
      model,
      prompt: job.prompt,
      duration,
      resolution,
      ...(job.image ? { first_frame_image: imageAsDataUrl(job.image) } : {}),
      ...(meta.last_frame_image
        ? { last_frame_image: imageAsDataUrl(parseImage(meta.last_frame_image, 'metadata.last_frame_image')) }
        : {}),
      ...(meta.prompt_optimizer !== undefined ? { prompt_optimizer: meta.prompt_optimizer } : {}),
      ...(meta.fast_pretreatment !== undefined ? { fast_pretreatment: meta.fast_pretreatment } : {}),
      ...(meta.aigc_watermark !== undefined ? { aigc_watermark: meta.aigc_watermark } : {}),
      ...(job.vendorCallbackUrl ? { callback_url: job.vendorCallbackUrl } : {}),
    };
    return {
      call: { method: 'POST', path: '/v1/video_generation', body },
      pollContext: {},
      expected: {
        durationSeconds: duration,
        fps: null,
        width: null,
        height: null,
        seed: null,
        shortSide: shortSideOf[resolution],
      },
      warnings: warningsFor(job),
    };
  },

  readSubmit(answer) {
    if (answer.status !== 200) return troubleFromStatus(answer, 'MiniMax submit');
    const resp = readBaseResp(answer);
    if (resp && resp.status_code !== 0)
      return submitRefusal(refusalOf(resp.status_code, resp.status_msg), answer);
    const created = hailuoCreated.safeParse(answer.json);
    if (!created.success) return troubleFromStatus(answer, 'MiniMax submit');
    return { kind: 'accepted', upstreamTaskId: created.data.task_id };
  },

  preparePoll(upstreamTaskId) {
    return {
      method: 'GET',
      path: `/v1/query/video_generation?task_id=${encodeURIComponent(upstreamTaskId)}`,
    };
  },

  /** Reads the query answer, or the file retrieve answer it led to (the one with `file`). */
  readPoll(answer): PollOutcome {
    if (answer.status !== 200) return troubleFromStatus(answer, 'MiniMax poll');
    const resp = readBaseResp(answer);
    const json = answer.json;
    const hasStatus = isObject(json) && typeof json.status === 'string' && json.status !== '';
    if (resp && resp.status_code !== 0 && !hasStatus) {
      const refusal = refusalOf(resp.status_code, resp.status_msg);
      // A query or retrieve takes one id: an invalid request means MiniMax does not know it.
      if (refusal.kind === 'invalid_request')
        return {
          kind: 'failed',
          code: 'vendor_task_lost',
          message: `MiniMax no longer knows this task (${refusal.text})`,
        };
      return pollRefusal(refusal, answer);
    }
    return isObject(json) && 'file' in json ? readFile(answer) : readQuery(answer);
  },

  async sign(call, baseUrl, credentials) {
    return jsonCall(call, baseUrl, bearerHeader(credentials));
  },

  // MiniMax first posts {challenge} to the callback URL and uses it only if the same challenge comes back.
  answerCallbackHandshake(body) {
    if (!isObject(body) || typeof body.challenge !== 'string' || 'task_id' in body) return null;
    return { challenge: body.challenge };
  },

  // Callbacks say processing / success / failed (lower case in MiniMax's callback docs): only an end is news.
  callbackWorthAPoll(body) {
    const status = isObject(body) && typeof body.status === 'string' ? body.status.toLowerCase() : undefined;
    return !['preparing', 'queueing', 'processing'].includes(status ?? '');
  },
};
