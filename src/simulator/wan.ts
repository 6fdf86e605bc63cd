/**
 * A faithful Alibaba Wan on DashScope, written from Model Studio's documentation (alibabacloud.com/help/en/model-studio):
 * - text-to-video-api-reference / image-to-video-api-reference: POST /api/v1/services/aigc/video-generation/video-synthesis
 *   with `X-DashScope-Async: enable` (without it: "current user api does not support synchronous calls"), body
 *   {model, input: {prompt, negative_prompt, img_url, audio_url}, parameters: {size "W*H" (t2v) | resolution (i2v),
 *   duration, prompt_extend, watermark, audio, seed}} → {request_id, output: {task_id, task_status: "PENDING"}}.
 * - the first-and-last-frame reference: the kf2v models on /api/v1/services/aigc/image2video/
 *   video-synthesis with input.first_frame_url and input.last_frame_url.
 * - GET /api/v1/tasks/{task_id} → output.task_status PENDING, RUNNING, SUCCEEDED (output.video_url, valid 24 hours),
 *   FAILED (output.code, output.message), CANCELED, UNKNOWN (an id it does not know or has forgotten, HTTP 200);
 *   times "YYYY-MM-DD HH:MM:SS.mmm" (Asia/Shanghai); usage {video_duration, video_ratio, video_count} (2.2) or
 *   {duration, video_count, SR} (2.5).
 * - errors {request_id, code, message} (dashscope return-status-code-description): 400 InvalidParameter,
 *   400 DataInspectionFailed, 400 Arrearage, 401 InvalidApiKey, 403 AccessDenied, 429 Throttling.RateQuota,
 *   500 InternalError.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { bearerKey, originOf, resultPath, turnedAway, type VendorGate } from './gate.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { Fault, SimTask, SimWorld } from './world.js';

export const defaultWanAccount = { api_key: 'sk-sim-wan-api-key' };
/** A key DashScope knows on an account in arrears: every create answers 400 Arrearage. */
export const arrearsWanAccount = { api_key: 'sk-sim-wan-arrears-key' };

/** Task ids and video_url live 24 hours. */
const dayMs = 24 * 3600 * 1000;

const sizes: Record<string, string[]> = {
  '480P': ['832*480', '480*832', '624*624'],
  '720P': ['1280*720', '720*1280', '960*960', '1088*832', '832*1088'],
  '1080P': ['1920*1080', '1080*1920', '1440*1440', '1632*1248', '1248*1632'],
};

/** Each model as its API reference lists it: what it makes, durations, resolution tiers, sound, frame rate. */
interface ModelSpec {
  kind: 't2v' | 'i2v' | 'kf2v';
  durations: number[];
  tiers: string[];
  defaultTier: string;
  audio: boolean;
  generation: '2.2' | '2.5';
}
const models: Record<string, ModelSpec> = {
  'wan2.2-t2v-plus': {
    kind: 't2v',
    durations: [5],
    tiers: ['480P', '1080P'],
    defaultTier: '1080P',
    audio: false,
    generation: '2.2',
  },
  'wan2.5-t2v-preview': {
    kind: 't2v',
    durations: [5, 10],
    tiers: ['480P', '720P', '1080P'],
    defaultTier: '1080P',
    audio: true,
    generation: '2.5',
  },
  'wan2.2-i2v-plus': {
    kind: 'i2v',
    durations: [5],
    tiers: ['480P', '1080P'],
    defaultTier: '1080P',
    audio: false,
    generation: '2.2',
  },
  'wan2.5-i2v-preview': {
    kind: 'i2v',
    durations: [5, 10],
    tiers: ['480P', '720P', '1080P'],
    defaultTier: '1080P',
    audio: true,
    generation: '2.5',
  },
  'wan2.2-kf2v-flash': {
    kind: 'kf2v',
    durations: [5],
    tiers: ['480P', '720P', '1080P'],
    defaultTier: '720P',
    audio: false,
    generation: '2.2',
  },
};
const videoSynthesis = '/api/v1/services/aigc/video-generation/video-synthesis';
const keyframeSynthesis = '/api/v1/services/aigc/image2video/video-synthesis';

interface DashScopeProblem {
  status: number;
  code: string;
  message: string;
}

const dashScopeError = (reply: FastifyReply, { status, code, message }: DashScopeProblem) =>
  reply.code(status).send({ request_id: randomUUID(), code, message });
const invalid = (message: string): DashScopeProblem => ({ status: 400, code: 'InvalidParameter', message });

const image = /^(https?:\/\/\S+|data:image\/(jpeg|jpg|png|bmp|webp);base64,[A-Za-z0-9+/]+={0,2})$/;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

type Body = { model: string; input: Record<string, unknown>; parameters: Record<string, unknown> };

/** DashScope's checks of a create body on one endpoint: the problem, or the body with defaults filled in. */
function checkBody(
  raw: unknown,
  keyframes: boolean,
): { problem: DashScopeProblem } | { body: Body; spec: ModelSpec } {
  if (!isObject(raw)) return { problem: invalid('The request body must be a JSON object.') };
  if (typeof raw.model !== 'string')
    return {
      problem: {
        status: 400,
        code: 'BadRequest.EmptyModel',
        message: 'Required parameter "model" missing from request.',
      },
    };
  const spec = Object.hasOwn(models, raw.model) ? models[raw.model]! : null;
  if (!spec || (spec.kind === 'kf2v') !== keyframes)
    return { problem: invalid(`Model not exist: ${raw.model} on this endpoint.`) };
  if (!isObject(raw.input))
    return {
      problem: {
        status: 400,
        code: 'BadRequest.EmptyInput',
        message: 'Required input parameter missing from request.',
      },
    };
  const input = raw.input;
  const parameters = isObject(raw.parameters) ? raw.parameters : {};
  if (typeof input.prompt === 'string' && input.prompt.length > (spec.generation === '2.5' ? 1500 : 800))
    return { problem: invalid('Range of input.prompt length is too long.') };
  const needed: string[] = { t2v: [], i2v: ['img_url'], kf2v: ['first_frame_url', 'last_frame_url'] }[
    spec.kind
  ];
  for (const field of ['img_url', 'first_frame_url', 'last_frame_url']) {
    const given = input[field];
    if (given === undefined && needed.includes(field))
      return { problem: invalid(`input.${field} is required by ${raw.model}.`) };
    if (given !== undefined && !needed.includes(field))
      return { problem: invalid(`input.${field} is not supported by ${raw.model}.`) };
    if (given !== undefined && (typeof given !== 'string' || !image.test(given)))
      return {
        problem: invalid(`input.${field} must be a URL or a data URL of a JPEG, PNG, BMP or WEBP image.`),
      };
  }
  if (spec.kind === 't2v' && typeof input.prompt !== 'string')
    return { problem: invalid('input.prompt is required.') };
  if (!spec.audio && (input.audio_url !== undefined || parameters.audio !== undefined))
    return { problem: invalid(`Audio is not supported by ${raw.model}.`) };
  const duration = parameters.duration ?? 5;
  if (typeof duration !== 'number' || !spec.durations.includes(duration))
    return { problem: invalid(`The duration ${String(duration)} is not supported by ${raw.model}.`) };
  const seed = parameters.seed;
  if (
    seed !== undefined &&
    (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 2_147_483_647)
  )
    return { problem: invalid('parameters.seed must be in [0, 2147483647].') };
  let tier: string;
  if (spec.kind === 't2v') {
    if (parameters.resolution !== undefined)
      return { problem: invalid('parameters.resolution is not supported; use size.') };
    const size = parameters.size ?? sizes[spec.defaultTier]![0];
    const found = spec.tiers.find((t) => sizes[t]!.includes(String(size)));
    if (!found) return { problem: invalid(`The size ${String(size)} is not supported by ${raw.model}.`) };
    tier = found;
    parameters.size = size;
  } else {
    if (parameters.size !== undefined)
      return { problem: invalid('parameters.size is not supported; use resolution.') };
    const resolution = parameters.resolution ?? spec.defaultTier;
    if (typeof resolution !== 'string' || !spec.tiers.includes(resolution))
      return { problem: invalid(`The resolution ${String(resolution)} is not supported by ${raw.model}.`) };
    tier = resolution;
    parameters.resolution = resolution;
  }
  return { body: { model: raw.model, input, parameters: { ...parameters, duration, tier } }, spec };
}

/** DashScope's answer to each scripted fault. */
function faultProblem(fault: Fault): DashScopeProblem | null {
  switch (fault.type) {
    case 'http_error':
      return fault.status >= 500
        ? {
            status: fault.status,
            code: 'InternalError',
            message: 'An internal error has occured, please try again later.',
          }
        : invalid('Required parameter(s) missing or invalid, please check the request parameters.');
    case 'rate_limit':
      return {
        status: 429,
        code: 'Throttling.RateQuota',
        message: 'Requests rate limit exceeded, please try again later.',
      };
    case 'content_safety':
      return {
        status: 400,
        code: 'DataInspectionFailed',
        message: 'Input data may contain inappropriate content.',
      };
    case 'auth_error':
      return { status: 401, code: 'InvalidApiKey', message: 'Invalid API-key provided.' };
    default:
      return null;
  }
}

/** DashScope's time format: "2025-07-27 21:05:15.212", in Asia/Shanghai (UTC+8). */
const shanghaiTime = (ms: number) =>
  new Date(ms + 8 * 3600 * 1000).toISOString().replace('T', ' ').slice(0, 23);

/** A `task_fails` reason that is a code ("DataInspectionFailed") fails with it; any other as an algorithm error. */
const failureOf = (task: SimTask) =>
  /^[A-Z][A-Za-z.]+$/.test(task.failReason!)
    ? { code: task.failReason!, message: `The task failed: ${task.failReason}` }
    : { code: 'InternalError.Algo', message: task.failReason! };

export function wanSimulator(world: SimWorld, keys = [defaultWanAccount.api_key, arrearsWanAccount.api_key]) {
  const accepted = new Set(keys);
  const gate: VendorGate = {
    vendor: 'wan',
    refuseCredentials(request, reply) {
      const key = bearerKey(request);
      if (key && accepted.has(key)) return false;
      dashScopeError(reply, { status: 401, code: 'InvalidApiKey', message: 'Invalid API-key provided.' });
      return true;
    },
    answerFault(reply, fault) {
      const problem = faultProblem(fault);
      if (problem) dashScopeError(reply, problem);
      return problem !== null;
    },
  };

  function view(task: SimTask, origin: string) {
    const body = task.request.body as Body;
    const stage = world.stage(task);
    const spec = models[body.model]!;
    const status = (
      { queued: 'PENDING', running: 'RUNNING', succeeded: 'SUCCEEDED', failed: 'FAILED' } as const
    )[stage];
    const times = {
      submit_time: shanghaiTime(task.createdAt),
      ...(stage !== 'queued' ? { scheduled_time: shanghaiTime(task.createdAt + task.durationMs / 5) } : {}),
      ...(stage === 'succeeded' || stage === 'failed'
        ? { end_time: shanghaiTime(world.finishedAt(task)) }
        : {}),
    };
    const seconds = task.deliveredSeconds ?? Number(body.parameters.duration);
    const usage =
      spec.generation === '2.5'
        ? { duration: seconds, video_count: 1, SR: Number.parseInt(String(body.parameters.tier), 10) }
        : {
            video_duration: seconds,
            video_ratio: String(body.parameters.size ?? 'standard'),
            video_count: 1,
          };
    return {
      request_id: randomUUID(),
      output: {
        task_id: task.id,
        task_status: status,
        ...times,
        ...(stage === 'succeeded'
          ? {
              video_url: origin + resultPath(world, task, dayMs),
              orig_prompt: body.input.prompt,
              actual_prompt: body.input.prompt,
            }
          : {}),
        ...(stage === 'failed' ? failureOf(task) : {}),
      },
      ...(stage === 'succeeded' ? { usage } : {}),
    };
  }

  return async function plugin(app: FastifyInstance) {
    for (const [path, keyframes] of [
      [videoSynthesis, false],
      [keyframeSynthesis, true],
    ] as const) {
      app.post(path, async (request, reply) => {
        if (await turnedAway(world, gate, 'submit', request, reply)) return reply;
        if (request.headers['x-dashscope-async'] !== 'enable') {
          // [unverified] the HTTP status of this refusal; its words are the documented ones.
          return dashScopeError(reply, {
            status: 403,
            code: 'AccessDenied',
            message: 'current user api does not support synchronous calls',
          });
        }
        if (bearerKey(request) === arrearsWanAccount.api_key) {
          return dashScopeError(reply, {
            status: 400,
            code: 'Arrearage',
            message: 'Access denied, please make sure your account is in good standing.',
          });
        }
        const checked = checkBody(request.body, keyframes);
        if ('problem' in checked) return dashScopeError(reply, checked.problem);
        const task = world.createTask('wan', { body: checked.body }, randomUUID());
        return reply.send({ request_id: randomUUID(), output: { task_id: task.id, task_status: 'PENDING' } });
      });
    }

    app.get<{ Params: { id: string } }>('/api/v1/tasks/:id', async (request, reply) => {
      if (await turnedAway(world, gate, 'poll', request, reply)) return reply;
      const task = world.tasks.get(request.params.id);
      const expiryMs = world.options.taskExpiryMs ?? dayMs;
      if (!task || task.vendor !== 'wan' || Date.now() - task.createdAt > expiryMs) {
        return reply.send({
          request_id: randomUUID(),
          output: { task_id: request.params.id, task_status: 'UNKNOWN' },
        });
      }
      return reply.send(view(task, originOf(request)));
    });
  };
}

export const wan: VendorSimulator = {
  vendor: 'wan',
  title: 'Alibaba Wan (DashScope)',
  routes: (world) => wanSimulator(world),
  account: () => ({ ...defaultWanAccount }),
  models: Object.keys(models),
};
