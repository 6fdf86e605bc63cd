/**
 * Alibaba Wan (DashScope): Bearer API key and `X-DashScope-Async: enable` on every create (HTTP calls are
 * asynchronous only); text-to-video takes a size "W*H", image-to-video a resolution word; first-and-last-frame
 * models have their own endpoint. Tasks move PENDING → RUNNING → SUCCEEDED | FAILED | CANCELED, and UNKNOWN once
 * DashScope has forgotten them (24 hours). DashScope has no callbacks for video: polling only.
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
import { troubleFromStatus } from '../answers.js';
import { apiKeyCredentials, bearerHeader, type ApiKeyCredentials } from '../bearer.js';
import { jsonCall } from '../calls.js';
import { defaultFirst, reconcile, requireOneOf, tierOfSize, wholeSeconds } from '../choices.js';
import { InvalidRequestError } from '../errors.js';
import { imageAsDataUrl, parseImage } from '../image.js';
import { parseMetadata } from '../mapping.js';
import { kindOfCode, pollRefusal, submitRefusal, type Refusal, type RefusalKind } from '../refusals.js';
import {
  shortSideOf,
  wanCreated,
  wanEndpoints,
  wanErrorBody,
  wanModelRules,
  wanModels,
  wanResolutions,
  wanSizes,
  wanTask,
  wanTiers,
  type WanCreateBody,
  type WanModelRule,
  type WanResolution,
} from './types.js';

/** The metadata keys a client may send for Wan, in DashScope's own names (input and parameters flattened). */
const wanMetadata = z
  .object({
    negative_prompt: z.string().max(500).optional(),
    last_frame_url: z.string().min(1).optional(),
    audio_url: z.string().url().optional(),
    audio: z.boolean().optional(),
    size: z
      .string()
      .regex(/^\d+\*\d+$/, 'a size like 1280*720')
      .optional(),
    resolution: z.enum(wanResolutions).optional(),
    prompt_extend: z.boolean().optional(),
    watermark: z.boolean().optional(),
  })
  .strict();
type WanMetadata = z.infer<typeof wanMetadata>;

/**
 * What a model takes, from the rule prepareSubmit checks against: text-to-video takes exact sizes, image models a
 * resolution (the video follows the image's aspect ratio, so no aspect ratios); i2v needs a first frame, kf2v a
 * first and a last. The defaults come first.
 */
function wanCapabilities(model: string): ModelCapabilities | undefined {
  if (!Object.hasOwn(wanModelRules, model)) return undefined;
  const rule = wanModelRules[model]!;
  const resolutions = defaultFirst(rule.resolutions, rule.defaultResolution);
  return {
    durations: rule.durations,
    aspectRatios: null,
    resolutions,
    ...(rule.kind === 't2v' && {
      sizes: resolutions.flatMap((r) => wanSizes[r]).map((size) => size.replace('*', 'x')),
    }),
    images: {
      firstFrame: rule.kind !== 't2v',
      lastFrame: rule.kind === 'kf2v',
      references: 0,
      required: rule.kind !== 't2v',
    },
  };
}

function ruleFor(model: string): WanModelRule {
  if (Object.hasOwn(wanModelRules, model)) return wanModelRules[model]!;
  throw new InvalidRequestError(`Wan serves ${wanModels.join(', ')}; ${model} is not one of them`, 'model');
}

/** The images a model's kind takes, each checked: i2v a first frame, kf2v a first and a last. */
function imageInputs(job: VideoJob, meta: WanMetadata, rule: WanModelRule): WanCreateBody['input'] {
  const model = job.upstreamModel;
  if (rule.kind !== 'kf2v' && meta.last_frame_url !== undefined)
    throw new InvalidRequestError(
      `Wan ${model} takes no last frame; use wan2.2-kf2v-flash`,
      'metadata.last_frame_url',
    );
  if (rule.kind === 't2v') {
    if (job.image)
      throw new InvalidRequestError(`Wan ${model} makes videos from text only; omit image`, 'image');
    return { prompt: job.prompt };
  }
  if (!job.image)
    throw new InvalidRequestError(`Wan ${model} makes videos from a first frame; give image`, 'image');
  const first = imageAsDataUrl(job.image);
  if (rule.kind === 'i2v') return { prompt: job.prompt, img_url: first };
  // [unverified] whether kf2v-flash runs without a last frame: required here, so a request never fails at DashScope.
  if (meta.last_frame_url === undefined)
    throw new InvalidRequestError(
      `Wan ${model} needs a last frame in metadata.last_frame_url`,
      'metadata.last_frame_url',
    );
  const last = imageAsDataUrl(parseImage(meta.last_frame_url, 'metadata.last_frame_url'));
  return { prompt: job.prompt, first_frame_url: first, last_frame_url: last };
}

/** Text-to-video: an exact size from the model's tiers ("1280*720"); from size/width/height or metadata.size. */
function chooseSize(
  job: VideoJob,
  meta: WanMetadata,
  rule: WanModelRule,
): { size: string; tier: WanResolution } {
  if (meta.resolution !== undefined)
    throw new InvalidRequestError('Wan text-to-video takes a size, not a resolution', 'metadata.resolution');
  const given = reconcile(
    { value: job.width !== null && job.height !== null ? `${job.width}*${job.height}` : null, param: 'size' },
    { value: meta.size, param: 'metadata.size' },
  );
  const size = given?.value ?? wanSizes[rule.defaultResolution][0]!;
  const tier = rule.resolutions.find((r) => wanSizes[r].includes(size));
  if (tier) return { size, tier };
  const sizes = rule.resolutions.flatMap((r) => wanSizes[r]).map((s) => s.replace('*', 'x'));
  throw new InvalidRequestError(
    `Wan ${job.upstreamModel} renders the sizes ${sizes.join(', ')}; ${size.replace('*', 'x')} is none of them`,
    given?.param ?? 'size',
  );
}

/** From images: a resolution word, from the size's short side or metadata.resolution; the video follows the image. */
function chooseResolution(job: VideoJob, meta: WanMetadata, rule: WanModelRule): WanResolution {
  if (meta.size !== undefined)
    throw new InvalidRequestError('Wan image-to-video takes a resolution, not a size', 'metadata.size');
  const given = reconcile(
    { value: tierOfSize(job, wanTiers, 'Wan'), param: 'size' },
    { value: meta.resolution, param: 'metadata.resolution' },
  );
  return requireOneOf(
    given ?? { value: rule.defaultResolution, param: 'metadata.resolution' },
    rule.resolutions,
    `Wan ${job.upstreamModel}`,
  );
}

function warningsFor(job: VideoJob, rule: WanModelRule): VendorWarning[] {
  if (rule.kind === 't2v' || job.width === null) return [];
  return [
    {
      feature: 'size',
      details:
        "Wan follows the input image's aspect ratio: only the resolution was taken from the requested size",
    },
  ];
}

/** DashScope's codes by kind (return-status-code-description); Arrearage comes with HTTP 400, so codes decide. */
const refusalKinds: [RegExp, RefusalKind][] = [
  [/^DataInspectionFailed/, 'content_policy'],
  [/^(InvalidApiKey|Arrearage|AccessDenied|Model\.AccessDenied)/, 'account'],
  [/^(Throttling|InternalError|RequestTimeOut|ServiceUnavailable|SystemError)/, 'transient'],
  [/^(InvalidParameter|BadRequest|InvalidURL|UnsupportedOperation|InvalidFile)/, 'invalid_request'],
];

function readRefusal(answer: VendorAnswer): Refusal | null {
  const error = wanErrorBody.safeParse(answer.json);
  if (!error.success) return null;
  const kind = kindOfCode(error.data.code, refusalKinds);
  return kind ? { kind, text: `Wan ${error.data.code}: ${error.data.message ?? 'no message'}` } : null;
}

const waitingStates: Record<string, PollOutcome> = {
  PENDING: { kind: 'processing', queued: true, progress: null },
  RUNNING: { kind: 'processing', queued: false, progress: null },
  CANCELED: { kind: 'failed', code: 'cancelled', message: 'The task was cancelled at DashScope' },
  UNKNOWN: { kind: 'failed', code: 'vendor_task_lost', message: 'DashScope no longer knows this task' },
};

export const wanAdapter: VendorAdapter<ApiKeyCredentials> = {
  vendor: 'wan',
  credentials: apiKeyCredentials,
  defaultBaseUrl: 'https://dashscope-intl.aliyuncs.com',
  models: wanModels,
  capabilities: wanCapabilities,

  prepareSubmit(job: VideoJob): PreparedSubmit {
    const meta = parseMetadata(wanMetadata, job.metadata);
    if (job.fps !== null)
      throw new InvalidRequestError('Wan does not let the frame rate be chosen; omit fps', 'fps');
    const model = job.upstreamModel;
    const rule = ruleFor(model);
    // wan2.5 prompts: 1500 characters; wan2.2 truncates beyond 800, which is refused rather than cut silently.
    const maxPrompt = rule.audio ? 1500 : 800;
    if (job.prompt.length > maxPrompt)
      throw new InvalidRequestError(
        `Wan ${model} accepts prompts of at most ${maxPrompt} characters`,
        'prompt',
      );
    for (const key of ['audio', 'audio_url'] as const) {
      if (meta[key] !== undefined && !rule.audio)
        throw new InvalidRequestError(`Wan ${model} makes silent videos; omit ${key}`, `metadata.${key}`);
    }
    if (job.seed !== null && (job.seed < 0 || job.seed > 2_147_483_647))
      throw new InvalidRequestError('Wan takes a seed from 0 to 2147483647', 'seed');

    const input = imageInputs(job, meta, rule);
    const duration = requireOneOf(
      { value: wholeSeconds(job, 'Wan') ?? 5, param: 'duration' },
      rule.durations,
      `Wan ${model}`,
    );
    const t2v = rule.kind === 't2v' ? chooseSize(job, meta, rule) : null;
    const resolution = t2v?.tier ?? chooseResolution(job, meta, rule);
    const [width, height] = t2v ? t2v.size.split('*').map(Number) : [null, null];

    const body: WanCreateBody = {
      model,
      input: {
        ...input,
        ...(meta.negative_prompt !== undefined ? { negative_prompt: meta.negative_prompt } : {}),
        ...(meta.audio_url !== undefined ? { audio_url: meta.audio_url } : {}),
      },
      parameters: {
        ...(t2v ? { size: t2v.size } : { resolution }),
        duration,
        ...(meta.prompt_extend !== undefined ? { prompt_extend: meta.prompt_extend } : {}),
        ...(meta.watermark !== undefined ? { watermark: meta.watermark } : {}),
        ...(meta.audio !== undefined ? { audio: meta.audio } : {}),
        ...(job.seed !== null ? { seed: job.seed } : {}),
      },
    };
    return {
      call: { method: 'POST', path: wanEndpoints[rule.kind], body },
      pollContext: {},
      expected: {
        durationSeconds: duration,
        fps: rule.fps,
        width: width ?? null,
        height: height ?? null,
        seed: job.seed,
        shortSide: shortSideOf[resolution],
      },
      warnings: warningsFor(job, rule),
    };
  },

  readSubmit(answer) {
    if (answer.status === 200) {
      const created = wanCreated.safeParse(answer.json);
      if (created.success) return { kind: 'accepted', upstreamTaskId: created.data.output.task_id };
    }
    const refusal = readRefusal(answer);
    return refusal ? submitRefusal(refusal, answer) : troubleFromStatus(answer, 'Wan submit');
  },

  preparePoll(upstreamTaskId) {
    return { method: 'GET', path: `/api/v1/tasks/${encodeURIComponent(upstreamTaskId)}` };
  },

  readPoll(answer): PollOutcome {
    if (answer.status !== 200) {
      const refusal = readRefusal(answer);
      return refusal ? pollRefusal(refusal, answer) : troubleFromStatus(answer, 'Wan poll');
    }
    const parsed = wanTask.safeParse(answer.json);
    if (!parsed.success) return troubleFromStatus(answer, 'Wan poll');
    const { output, usage } = parsed.data;
    if (Object.hasOwn(waitingStates, output.task_status)) return waitingStates[output.task_status]!;
    if (output.task_status === 'FAILED') {
      const content = output.code !== undefined && kindOfCode(output.code, refusalKinds) === 'content_policy';
      return {
        kind: 'failed',
        code: content ? 'content_policy_violation' : 'generation_failed',
        message: `Wan could not generate the video: ${output.message ?? 'no message'} (${output.code ?? 'no code'})`,
      };
    }
    if (output.task_status !== 'SUCCEEDED')
      return {
        kind: 'retry_later',
        message: `Wan reported an unknown task status ${JSON.stringify(output.task_status)}`,
      };
    if (!output.video_url) return { kind: 'retry_later', message: 'Wan reported success without a video' };
    // usage says what was made: video_duration (2.2) or duration and SR, the short side (2.5).
    const duration = usage?.video_duration ?? usage?.duration;
    return {
      kind: 'succeeded',
      url: output.video_url,
      coverUrl: null,
      facts: {
        ...(duration !== undefined ? { durationSeconds: duration } : {}),
        ...(usage?.SR !== undefined ? { shortSide: usage.SR } : {}),
      },
    };
  },

  async sign(call, baseUrl, credentials) {
    // DashScope answers a create without this header with "current user api does not support synchronous calls".
    const async: Record<string, string> = call.method === 'POST' ? { 'x-dashscope-async': 'enable' } : {};
    return jsonCall(call, baseUrl, { ...bearerHeader(credentials), ...async });
  },
};
