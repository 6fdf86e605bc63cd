/**
 * A faithful Vidu: `Authorization: Token <api_key>` checked (401 Unauthorized), bodies validated per endpoint and
 * model like Vidu (400 FieldLacking / FieldUnwanted / FieldItemCountOutOfRange / FieldInvalid / ImageFormatInvalid),
 * tasks moving created → queueing → processing → success | failed with an err_code, results valid 24 hours, and
 * Vidu's error envelope {code, reason, message, metadata: {trace_id}} for every refusal and fault.
 * callback_url is accepted as Vidu does but never called: Reelay delivers callbacks itself and never sends one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { answerGenericFault } from './faults.js';
import { firstProblem, originOf } from './requests.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { Fault, SimTask, SimWorld } from './world.js';
import { clipAsked } from './clips.js';

/*
 * Source for every rule below, unless a comment says otherwise: Vidu's API reference (platform.vidu.cn, "文生视频",
 * "图生视频", "首尾帧", "参考生视频"), in the copy at ZeoXel/SUNSTUDIO docs/vidu.md (V1 in
 * /work/shared/reference/vendors-kling-jimeng-vidu-seedance.md).
 */

const endpoints = ['text2video', 'img2video', 'start-end2video', 'reference2video'] as const;
type Endpoint = (typeof endpoints)[number];

/** What one model takes on one endpoint. */
interface ModelRule {
  durations: readonly number[];
  defaultDuration: number;
  /** The resolutions at a duration, Vidu's default first. */
  resolutions: (seconds: number) => readonly string[];
  /** aspect_ratio (text2video, reference2video): 4:3 and 3:4 are "q2 only". */
  aspectRatios: readonly string[];
  /** reference2video: "viduq2 viduq1 1～7 张", "vidu2.0 1～3 张". */
  maxReferenceImages: number;
}

const oneTo = (last: number) => Array.from({ length: last }, (_, i) => i + 1);
const q2Ratios = ['16:9', '9:16', '1:1', '4:3', '3:4'];
const otherRatios = ['16:9', '9:16', '1:1'];
const q2 = (lastSecond: number, resolutions = ['720p', '540p', '1080p']): ModelRule => ({
  durations: oneTo(lastSecond),
  defaultDuration: 5,
  resolutions: () => resolutions,
  aspectRatios: q2Ratios,
  maxReferenceImages: 7,
});
const q1: ModelRule = {
  durations: [5],
  defaultDuration: 5,
  resolutions: () => ['1080p'],
  aspectRatios: otherRatios,
  maxReferenceImages: 7,
};
/** vidu2.0 on img2video and start-end2video: "4秒：默认 360p，可选：360p、720p、1080p", "8秒：默认 720p". */
const vidu20: ModelRule = {
  durations: [4, 8],
  defaultDuration: 4,
  resolutions: (seconds) => (seconds === 8 ? ['720p'] : ['360p', '720p', '1080p']),
  aspectRatios: otherRatios,
  maxReferenceImages: 3,
};

/** The models each endpoint lists under "model"; any other is refused there. */
const modelRules: Record<Endpoint, Record<string, ModelRule>> = {
  text2video: { viduq2: q2(10), viduq1: q1 },
  img2video: {
    'viduq2-pro-fast': q2(10, ['720p', '1080p']),
    'viduq2-pro': q2(10),
    'viduq2-turbo': q2(10),
    viduq1: q1,
    'viduq1-classic': q1,
    'vidu2.0': vidu20,
  },
  // "viduq2-pro 1-8秒".
  'start-end2video': {
    'viduq2-pro-fast': q2(8, ['720p', '1080p']),
    'viduq2-pro': q2(8),
    'viduq2-turbo': q2(8),
    viduq1: q1,
    'viduq1-classic': q1,
    'vidu2.0': vidu20,
  },
  // "vidu2.0：默认4秒，可选：4"; "vidu2.0 （4秒）：默认 360p, 可选：360p、720p".
  reference2video: {
    viduq2: q2(10),
    viduq1: q1,
    'vidu2.0': { ...vidu20, durations: [4], resolutions: () => ['360p', '720p'] },
  },
};

const ruleFor = (endpoint: Endpoint, model: string): ModelRule | undefined =>
  Object.hasOwn(modelRules[endpoint], model) ? modelRules[endpoint][model] : undefined;

/** images: none on text2video, exactly 1 on img2video, 2 (first, last) on start-end2video, 1 to N as references. */
const imageCounts: Record<Endpoint, { min: number; max: number }> = {
  text2video: { min: 0, max: 0 },
  img2video: { min: 1, max: 1 },
  'start-end2video': { min: 2, max: 2 },
  reference2video: { min: 1, max: 7 },
};

const sharedFields = [
  'model',
  'prompt',
  'duration',
  'seed',
  'resolution',
  'movement_amplitude',
  'payload',
  'off_peak',
  'watermark',
  'wm_position',
  'wm_url',
  'meta_data',
  'callback_url',
];

/**
 * The fields each endpoint's request table lists; anything else is FieldUnwanted. reference2video's audio and
 * voice_id belong to its `subjects` form, which is not simulated.
 */
const endpointFields: Record<Endpoint, readonly string[]> = {
  text2video: [...sharedFields, 'style', 'aspect_ratio', 'bgm'],
  // [UNVERIFIED] img2video's table lists no bgm, but the origin document's Vidu example sends bgm: false there;
  // whether Vidu refuses or ignores it is not documented, so it is taken.
  img2video: [...sharedFields, 'images', 'audio', 'voice_id', 'is_rec', 'bgm'],
  'start-end2video': [...sharedFields, 'images', 'is_rec', 'bgm'],
  reference2video: [...sharedFields, 'images', 'aspect_ratio', 'bgm'],
};

/** The types and ranges of the fields; which of them an endpoint takes is endpointFields' business. */
const createBody = z
  .object({
    model: z.string(),
    prompt: z.string().max(2000).optional(),
    images: z.array(z.string()).optional(),
    duration: z.number().int().optional(),
    seed: z.number().int().min(0).optional(),
    resolution: z.enum(['360p', '540p', '720p', '1080p']).optional(),
    aspect_ratio: z.enum(['16:9', '9:16', '1:1', '4:3', '3:4']).optional(),
    movement_amplitude: z.enum(['auto', 'small', 'medium', 'large']).optional(),
    style: z.enum(['general', 'anime']).optional(),
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
type CreateBody = z.infer<typeof createBody>;

/**
 * The err_codes a failed task may carry (Vidu's error-code table; [UNVERIFIED] beyond the reasons the reference
 * notes list): a task_fails fault naming one of them fails the task with it.
 */
const taskErrCodes = new Set([
  'ImageDownloadFailure',
  'ImageFormatInvalid',
  'PageSizeOutOfRange',
  'ImageCheckBodyJointsFailed',
  'ImageCheckFaceFailed',
  'ImageObjectsUndetected',
  'AuditSubmitIllegal',
  'TaskPromptPolicyViolation',
  'CreationPolicyViolation',
  'CreditInsufficient',
  'QuotaExceeded',
  'SystemThrottling',
  'ModelUnavailable',
  'Canceled',
  'UserCancelled',
  'InternalServiceFailure',
]);

export interface ViduAccount {
  api_key: string;
}

export const defaultViduAccount: ViduAccount = { api_key: 'sim-vidu-api-key' };

/** Vidu's result URLs are valid for 24 hours. */
const resultTtlMs = 24 * 3600 * 1000;
const coverImage = readFileSync(new URL('./assets/cover.jpg', import.meta.url));

/** A refusal in Vidu's words: HTTP status, reason code and message. */
interface ViduProblem {
  status: number;
  reason: string;
  message: string;
}

const badRequest = (reason: string, message: string): { problem: ViduProblem } => ({
  problem: { status: 400, reason, message },
});

function viduError(reply: FastifyReply, { status, reason, message }: ViduProblem) {
  return reply
    .code(status)
    .send({ code: status, reason, message, metadata: { trace_id: randomBytes(16).toString('hex') } });
}

/** Vidu's answer to each scripted fault. */
function faultProblem(fault: Fault): ViduProblem | null {
  switch (fault.type) {
    case 'http_error':
      return fault.status >= 500
        ? { status: fault.status, reason: 'InternalServiceFailure', message: 'internal service failure' }
        : { status: fault.status, reason: 'BadRequest', message: 'bad request' };
    case 'rate_limit':
      return { status: 429, reason: 'TooManyRequests', message: 'too many requests, please retry later' };
    case 'content_safety':
      return {
        status: 400,
        reason: 'AuditSubmitIllegal',
        message: 'the input did not pass the content safety review',
      };
    case 'auth_error':
      return { status: 401, reason: 'Unauthorized', message: 'invalid api key' };
    default:
      return null;
  }
}

/** URLs, or base64 only with the data: prefix naming a PNG, JPEG or WebP image. */
const acceptedImage = /^(https?:\/\/\S+|data:image\/(png|jpeg|jpg|webp);base64,[A-Za-z0-9+/]+={0,2})$/i;

type Checked =
  | { body: Omit<CreateBody, 'resolution'> & { duration: number; resolution: string } }
  | { problem: ViduProblem };

/** Vidu's checks of a create body, in the order Vidu reports them. */
function checkBody(endpoint: Endpoint, raw: unknown): Checked {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return badRequest('BadRequest', 'the request body must be a JSON object');
  }
  const unwanted = Object.keys(raw).find((key) => !endpointFields[endpoint].includes(key));
  if (unwanted) return badRequest('FieldUnwanted', `${endpoint} does not take the field ${unwanted}`);
  if (!('model' in raw)) return badRequest('FieldLacking', 'model is required');
  const parsed = createBody.safeParse(raw);
  if (!parsed.success) return badRequest('FieldInvalid', firstProblem(parsed.error));
  const body = parsed.data;
  const rule = ruleFor(endpoint, body.model);
  if (!rule) return badRequest('FieldInvalid', `model ${body.model} is not supported by ${endpoint}`);
  if ((endpoint === 'text2video' || endpoint === 'reference2video') && !body.prompt) {
    return badRequest('FieldLacking', 'prompt is required');
  }
  const { min } = imageCounts[endpoint];
  const max = Math.min(imageCounts[endpoint].max, rule.maxReferenceImages);
  if (min > 0 && body.images === undefined) return badRequest('FieldLacking', 'images is required');
  const images = body.images ?? [];
  if (images.length < min || images.length > max) {
    return badRequest(
      'FieldItemCountOutOfRange',
      `${endpoint} with ${body.model} takes ${min} to ${max} images, got ${images.length}`,
    );
  }
  if (images.some((image) => !acceptedImage.test(image))) {
    return badRequest(
      'ImageFormatInvalid',
      'images must be URLs or base64 with its data:image/<type>;base64, prefix',
    );
  }
  const duration = body.duration ?? rule.defaultDuration;
  if (!rule.durations.includes(duration)) {
    return badRequest(
      'FieldInvalid',
      `duration ${duration} is not supported by ${body.model} on ${endpoint}`,
    );
  }
  const resolutions = rule.resolutions(duration);
  const resolution = body.resolution ?? resolutions[0]!;
  if (!resolutions.includes(resolution)) {
    return badRequest(
      'FieldInvalid',
      `resolution ${resolution} is not supported by ${body.model} at ${duration}s`,
    );
  }
  if (body.aspect_ratio && !rule.aspectRatios.includes(body.aspect_ratio)) {
    return badRequest('FieldInvalid', `aspect_ratio ${body.aspect_ratio} is not supported by ${body.model}`);
  }
  return { body: { ...body, duration, resolution } };
}

/** A task_fails fault names the err_code; any other reason fails the task as an internal error. */
const errCodeOf = (task: SimTask) =>
  task.request.cancelled
    ? 'UserCancelled'
    : task.failReason && taskErrCodes.has(task.failReason)
      ? task.failReason
      : 'InternalServiceFailure';

export function viduSimulator(world: SimWorld, accounts: ViduAccount[] = [defaultViduAccount]) {
  const keys = new Set(accounts.map((a) => a.api_key));

  function authenticate(request: FastifyRequest, reply: FastifyReply): boolean {
    const key = /^Token (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (key && keys.has(key)) return true;
    viduError(reply, { status: 401, reason: 'Unauthorized', message: 'invalid or missing token' });
    return false;
  }

  /** Auth, then a scripted fault if one is due. Returns true when the request has been answered. */
  async function refused(
    request: FastifyRequest,
    reply: FastifyReply,
    phase: 'submit' | 'poll',
  ): Promise<boolean> {
    world.count('vidu', phase);
    if (!authenticate(request, reply)) return true;
    const fault = world.takeFault('vidu', phase);
    if (!fault) return false;
    if (await answerGenericFault(request, reply, fault)) return true;
    const problem = faultProblem(fault);
    if (!problem) return false;
    viduError(reply, problem);
    return true;
  }

  /** Vidu's state for the world's stage; the queued stage is split: created first, then queueing. */
  function stateOf(task: SimTask): 'created' | 'queueing' | 'processing' | 'success' | 'failed' {
    // [UNVERIFIED] Vidu does not say how a cancelled task reads; here it fails with err_code UserCancelled.
    if (task.request.cancelled) return 'failed';
    const stage = world.stage(task);
    if (stage === 'queued') return world.progress(task) < 10 ? 'created' : 'queueing';
    return ({ running: 'processing', succeeded: 'success', failed: 'failed' } as const)[stage];
  }

  return async function plugin(app: FastifyInstance) {
    for (const endpoint of endpoints) {
      app.post(`/ent/v2/${endpoint}`, async (request, reply) => {
        if (await refused(request, reply, 'submit')) return reply;
        const checked = checkBody(endpoint, request.body);
        if ('problem' in checked) return viduError(reply, checked.problem);
        const { body } = checked;
        const task = world.createTask('vidu', { endpoint, body: request.body });
        const takesImages = endpoint !== 'text2video';
        const takesAspect = endpointFields[endpoint].includes('aspect_ratio');
        // Vidu echoes the request with its defaults filled in; seed 0 means "pick one".
        return reply.send({
          task_id: task.id,
          state: 'created',
          model: body.model,
          prompt: body.prompt ?? '',
          ...(takesImages ? { images: body.images } : {}),
          duration: body.duration,
          seed: body.seed || randomInt(1, 2 ** 31 - 1),
          ...(takesAspect ? { aspect_ratio: body.aspect_ratio ?? '16:9' } : {}),
          ...(endpoint === 'text2video' ? { style: body.style ?? 'general' } : {}),
          resolution: body.resolution,
          bgm: body.bgm ?? false,
          movement_amplitude: body.movement_amplitude ?? 'auto',
          payload: body.payload ?? '',
          off_peak: body.off_peak ?? false,
          credits: body.duration * 4,
          watermark: body.watermark ?? false,
          created_at: new Date(task.createdAt).toISOString(),
        });
      });
    }

    app.get<{ Params: { id: string } }>('/ent/v2/tasks/:id/creations', async (request, reply) => {
      if (await refused(request, reply, 'poll')) return reply;
      const task = world.tasks.get(request.params.id);
      if (!task || task.vendor !== 'vidu') {
        return viduError(reply, { status: 404, reason: 'TaskNotFound', message: 'task not found' });
      }
      const state = stateOf(task);
      const body = task.request.body as CreateBody;
      const creations = [];
      if (state === 'success') {
        task.request.resultPath ??= world.publishVideo(
          resultTtlMs,
          clipAsked(task.request, task.deliveredSeconds),
        );
        const videoPath = String(task.request.resultPath);
        const fileName = videoPath.slice('/files/'.length, -'.mp4'.length);
        const origin = originOf(request);
        creations.push({
          id: `${task.id}01`,
          url: origin + videoPath,
          cover_url: `${origin}${app.prefix}/covers/${fileName}.jpg`,
          watermarked_url: '',
        });
      }
      return reply.send({
        id: task.id,
        state,
        err_code: state === 'failed' ? errCodeOf(task) : '',
        credits: (body.duration ?? 5) * 4,
        payload: body.payload ?? '',
        bgm: body.bgm ?? false,
        off_peak: body.off_peak ?? false,
        creations,
      });
    });

    // Cancel Generation: only a task still waiting (created, queueing) can be cancelled; `{}` when it was.
    app.post<{ Params: { id: string } }>('/ent/v2/tasks/:id/cancel', async (request, reply) => {
      world.count('vidu', 'cancel');
      if (!authenticate(request, reply)) return reply;
      const task = world.tasks.get(request.params.id);
      if (!task || task.vendor !== 'vidu') {
        return viduError(reply, { status: 404, reason: 'TaskNotFound', message: 'task not found' });
      }
      const state = stateOf(task);
      if (state !== 'created' && state !== 'queueing') {
        const word = state === 'processing' ? 'scheduled' : state;
        return viduError(reply, {
          status: 400,
          reason: 'BadRequest',
          message: `task state is ${word}, can not cancel`,
        });
      }
      task.request.cancelled = true;
      return reply.send({});
    });

    // Covers live as long as their video.
    app.get<{ Params: { name: string } }>('/covers/:name.jpg', async (request, reply) => {
      if (!world.fileIsLive(request.params.name))
        return reply.code(403).send('AccessDenied: the link has expired');
      return reply.header('content-type', 'image/jpeg').send(coverImage);
    });
  };
}

export const vidu: VendorSimulator = {
  vendor: 'vidu',
  title: 'Vidu',
  routes: (world) => viduSimulator(world),
  account: () => ({ ...defaultViduAccount }),
  models: [...new Set(Object.values(modelRules).flatMap((rules) => Object.keys(rules)))],
};
