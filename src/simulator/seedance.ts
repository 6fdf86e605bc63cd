/**
 * A faithful Seedance (Volcengine Ark video generation), written from Ark's documentation:
 * - docs/82379/1520758 (create): POST /api/v3/contents/generations/tasks, body {model, content[], resolution, ratio,
 *   duration, seed, camera_fixed, watermark, generate_audio, return_last_frame, service_tier,
 *   execution_expires_after, callback_url}; content items {type:"text"} and {type:"image_url", image_url:{url}, role}.
 * - docs/82379/1521309 (query): GET …/tasks/{id} → {id, model, status, content:{video_url}, error, seed, resolution,
 *   ratio, duration, framespersecond, created_at, updated_at (Unix seconds)}; statuses queued, running, succeeded,
 *   failed, expired, cancelled; video_url valid 24 hours.
 * - the cancel/delete reference (mirrored at docs.powertokens.ai …/cancel-delete-video-task): DELETE …/tasks/{id}: queued → cancelled; succeeded/failed/expired → deleted;
 *   running and cancelled cannot be.
 * - docs/82379/1299023 (errors): {error:{code, message, param, type}}: 401 AuthenticationError, 400 InvalidParameter /
 *   MissingParameter / InputTextSensitiveContentDetected, 403 AccountOverdueError, 429 RateLimitExceeded…,
 *   500 InternalServiceError; a failed task carries e.g. OutputVideoSensitiveContentDetected.
 * - callback_url: Ark POSTs the query body on every status change (docs/82379/1366799 "回调").
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, randomInt } from 'node:crypto';
import { bearerKey, originOf, resultPath, turnedAway, type VendorGate } from './gate.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { Fault, SimTask, SimWorld } from './world.js';

export const defaultSeedanceAccount = { api_key: 'sim-seedance-api-key' };
/** A key Ark knows but whose account is in arrears: every create is refused with 403 AccountOverdueError. */
export const overdueSeedanceAccount = { api_key: 'sim-seedance-overdue-key' };

/** Ark keeps task data, video_url included, for 24 hours (docs/82379/1366799 "保存时间"). */
const resultTtlMs = 24 * 3600 * 1000;

/** Each model's inputs, durations and resolutions, as Ark's model table states them (docs/82379/1366799). */
interface ModelSpec {
  textToVideo: boolean;
  roles: string[];
  minSeconds: number;
  audio: boolean;
}
const models: Record<string, ModelSpec> = {
  'doubao-seedance-1-5-pro-251215': {
    textToVideo: true,
    roles: ['first_frame', 'last_frame'],
    minSeconds: 4,
    audio: true,
  },
  'doubao-seedance-1-0-pro-250528': {
    textToVideo: true,
    roles: ['first_frame', 'last_frame'],
    minSeconds: 2,
    audio: false,
  },
  'doubao-seedance-1-0-pro-fast-251015': {
    textToVideo: true,
    roles: ['first_frame'],
    minSeconds: 2,
    audio: false,
  },
  'doubao-seedance-1-0-lite-t2v-250428': { textToVideo: true, roles: [], minSeconds: 2, audio: false },
  'doubao-seedance-1-0-lite-i2v-250428': {
    textToVideo: false,
    roles: ['first_frame', 'last_frame', 'reference_image'],
    minSeconds: 2,
    audio: false,
  },
};
const maxSeconds = 12;
const resolutions = ['480p', '720p', '1080p'];
const ratios = ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9', 'adaptive'];
const knownFields = new Set([
  'model',
  'content',
  'resolution',
  'ratio',
  'duration',
  'frames',
  'seed',
  'camera_fixed',
  'watermark',
  'generate_audio',
  'draft',
  'return_last_frame',
  'service_tier',
  'execution_expires_after',
  'callback_url',
]);

interface ArkProblem {
  status: number;
  code: string;
  message: string;
  param?: string;
}

function arkError(reply: FastifyReply, { status, code, message, param }: ArkProblem) {
  const requestId = randomBytes(10).toString('hex');
  const type =
    status === 401
      ? 'Unauthorized'
      : status === 403
        ? 'Forbidden'
        : status >= 500
          ? 'InternalServerError'
          : 'BadRequest';
  return reply
    .code(status)
    .send({ error: { code, message: `${message} Request id: ${requestId}`, param: param ?? '', type } });
}

const invalid = (param: string, message: string): ArkProblem => ({
  status: 400,
  code: 'InvalidParameter',
  message: `The parameter \`${param}\` specified in the request is not valid: ${message}.`,
  param,
});

type CreateBody = Record<string, unknown> & { model: string; content: Record<string, unknown>[] };

/** Ark's checks of a create body; the problem, or the body with Ark's defaults filled in. */
function checkBody(raw: unknown): { problem: ArkProblem } | { body: CreateBody; spec: ModelSpec } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { problem: invalid('body', 'not a JSON object') };
  const body = raw as Record<string, unknown>;
  const unknown = Object.keys(body).find((key) => !knownFields.has(key));
  if (unknown) return { problem: invalid(unknown, 'unknown parameter') };
  if (typeof body.model !== 'string')
    return {
      problem: {
        status: 400,
        code: 'MissingParameter',
        message: 'The request is missing model.',
        param: 'model',
      },
    };
  const spec = Object.hasOwn(models, body.model) ? models[body.model]! : null;
  if (!spec) {
    return {
      problem: {
        status: 404,
        code: 'InvalidEndpointOrModel.NotFound',
        message: `The model ${body.model} does not exist.`,
      },
    };
  }
  if (!Array.isArray(body.content) || body.content.length === 0)
    return { problem: invalid('content', 'must be a non-empty array') };
  const content = body.content as Record<string, unknown>[];
  const texts = content.filter((item) => item.type === 'text');
  const images = content.filter((item) => item.type === 'image_url');
  if (texts.length > 1 || texts.length + images.length !== content.length)
    return { problem: invalid('content', 'unsupported item') };
  for (const image of images) {
    const url = (image.image_url as { url?: unknown } | undefined)?.url;
    // Images: an http(s) URL or base64 with its data:image/<format>;base64, prefix.
    if (
      typeof url !== 'string' ||
      !/^(https?:\/\/\S+|data:image\/[\w.+-]+;base64,[A-Za-z0-9+/]+={0,2})$/.test(url)
    )
      return { problem: invalid('content.image_url.url', 'must be a URL or a base64 data URL') };
    if (typeof image.role !== 'string' || !spec.roles.includes(image.role))
      return { problem: invalid('content.role', `${String(image.role)} is not supported by ${body.model}`) };
  }
  const roles = images.map((image) => image.role as string);
  if (images.length === 0 && !spec.textToVideo)
    return { problem: invalid('content', `${body.model} needs an image`) };
  const references = roles.filter((role) => role === 'reference_image').length;
  if (references > 0 && references !== roles.length)
    return { problem: invalid('content.role', 'reference images cannot be mixed with frames') };
  if (references > 4) return { problem: invalid('content', 'at most 4 reference images') };
  if (
    references === 0 &&
    (roles.filter((r) => r === 'first_frame').length > 1 ||
      roles.filter((r) => r === 'last_frame').length > 1)
  )
    return { problem: invalid('content', 'at most one first and one last frame') };
  if (roles.includes('last_frame') && !roles.includes('first_frame'))
    return { problem: invalid('content.role', 'a last_frame needs a first_frame') };

  const duration = body.duration ?? 5;
  if (
    typeof duration !== 'number' ||
    !Number.isInteger(duration) ||
    duration < spec.minSeconds ||
    duration > maxSeconds
  )
    return {
      problem: invalid(
        'duration',
        `${String(duration)} is out of [${spec.minSeconds}, ${maxSeconds}] for ${body.model}`,
      ),
    };
  // [unverified] Ark's default resolution: 1080p for pro models, 720p for lite (Reelay always sends one).
  const resolution = body.resolution ?? (body.model.includes('pro') ? '1080p' : '720p');
  if (typeof resolution !== 'string' || !resolutions.includes(resolution))
    return { problem: invalid('resolution', String(resolution)) };
  const ratio = body.ratio ?? (images.length > 0 ? 'adaptive' : '16:9');
  if (typeof ratio !== 'string' || !ratios.includes(ratio))
    return { problem: invalid('ratio', String(ratio)) };
  if (ratio === 'adaptive' && images.length === 0)
    return { problem: invalid('ratio', 'adaptive needs an image') };
  if (body.generate_audio !== undefined && !spec.audio)
    return { problem: invalid('generate_audio', `not supported by ${body.model}`) };
  const seed = body.seed ?? -1;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < -1 || seed > 2 ** 32 - 1)
    return { problem: invalid('seed', String(seed)) };
  const expiresAfter = body.execution_expires_after ?? 172_800;
  if (typeof expiresAfter !== 'number' || expiresAfter < 3600 || expiresAfter > 259_200)
    return { problem: invalid('execution_expires_after', String(expiresAfter)) };
  if (typeof texts[0]?.text !== 'string' && images.length === 0)
    return { problem: invalid('content.text', 'missing') };
  return {
    body: {
      ...body,
      model: body.model,
      content,
      duration,
      resolution,
      ratio,
      seed: seed === -1 ? randomInt(1, 2 ** 31 - 1) : seed,
      execution_expires_after: expiresAfter,
    } as CreateBody,
    spec,
  };
}

/** The Ark answer to each scripted fault. */
function faultProblem(fault: Fault): ArkProblem | null {
  switch (fault.type) {
    case 'http_error':
      return fault.status >= 500
        ? {
            status: fault.status,
            code: 'InternalServiceError',
            message: 'The service encountered an unexpected internal error.',
          }
        : {
            status: fault.status,
            code: 'InvalidParameter',
            message: 'One or more parameters specified in the request are not valid.',
          };
    case 'rate_limit':
      return {
        status: 429,
        code: 'RateLimitExceeded.EndpointRPMExceeded',
        message: 'The request has exceeded the RPM limit.',
      };
    case 'content_safety':
      return {
        status: 400,
        code: 'InputTextSensitiveContentDetected',
        message: 'The request failed because the input text may contain sensitive information.',
      };
    case 'auth_error':
      return {
        status: 401,
        code: 'AuthenticationError',
        message: 'The API key in the request is missing or invalid.',
      };
    default:
      return null;
  }
}

/** Ark's code for a task failed by a `task_fails` fault: its reason when it names a code, else an internal error. */
const failureOf = (task: SimTask) =>
  /^[A-Z][A-Za-z.]+$/.test(task.failReason!)
    ? { code: task.failReason!, message: `The task failed: ${task.failReason}` }
    : { code: 'InternalServiceError', message: task.failReason! };

export function seedanceSimulator(
  world: SimWorld,
  keys = [defaultSeedanceAccount.api_key, overdueSeedanceAccount.api_key],
) {
  const accepted = new Set(keys);
  /** Tasks cancelled (by DELETE while queued) and deleted (by DELETE once ended). */
  const cancelled = new Set<string>();
  const deleted = new Set<string>();

  const gate: VendorGate = {
    vendor: 'seedance',
    refuseCredentials(request, reply) {
      const key = bearerKey(request);
      if (key && accepted.has(key)) return false;
      arkError(reply, {
        status: 401,
        code: 'AuthenticationError',
        message: 'The API key in the request is missing or invalid.',
      });
      return true;
    },
    answerFault(reply, fault) {
      const problem = faultProblem(fault);
      if (problem) arkError(reply, problem);
      return problem !== null;
    },
  };

  function statusOf(task: SimTask): string {
    if (cancelled.has(task.id)) return 'cancelled';
    const stage = world.stage(task);
    const body = task.request.body as CreateBody;
    // A task still waiting after execution_expires_after seconds is given up: expired.
    if (stage === 'queued' || stage === 'running') {
      if (Date.now() - task.createdAt > Number(body.execution_expires_after) * 1000) return 'expired';
      return stage;
    }
    return stage;
  }

  function view(task: SimTask, origin: string) {
    const body = task.request.body as CreateBody;
    const status = statusOf(task);
    const seconds = (ms: number) => Math.floor(ms / 1000);
    const ended = status === 'succeeded' || status === 'failed';
    return {
      id: task.id,
      model: body.model,
      status,
      ...(status === 'succeeded'
        ? {
            content: { video_url: origin + resultPath(world, task, resultTtlMs) },
            usage: { completion_tokens: 108_900, total_tokens: 108_900 },
          }
        : {}),
      ...(status === 'failed' ? { error: failureOf(task) } : {}),
      created_at: seconds(task.createdAt),
      updated_at: seconds(ended ? world.finishedAt(task) : Date.now()),
      seed: body.seed,
      resolution: body.resolution,
      ratio: body.ratio,
      duration: task.deliveredSeconds ?? body.duration,
      framespersecond: 24,
      service_tier: body.service_tier ?? 'default',
      execution_expires_after: body.execution_expires_after,
    };
  }

  const taskOf = (id: string) => {
    const task = world.tasks.get(id);
    return task && task.vendor === 'seedance' && !deleted.has(id) ? task : undefined;
  };
  const notFound = (reply: FastifyReply, id: string) =>
    arkError(reply, {
      status: 404,
      code: 'ResourceNotFound',
      message: `The specified task ${id} is not found.`,
    });

  return async function plugin(app: FastifyInstance) {
    const tasks = '/api/v3/contents/generations/tasks';

    app.post(tasks, async (request, reply) => {
      if (await turnedAway(world, gate, 'submit', request, reply)) return reply;
      if (bearerKey(request) === overdueSeedanceAccount.api_key) {
        return arkError(reply, {
          status: 403,
          code: 'AccountOverdueError',
          message: 'The request failed because your account has an overdue balance.',
        });
      }
      const checked = checkBody(request.body);
      if ('problem' in checked) return arkError(reply, checked.problem);
      const id = `cgt-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}-${randomBytes(3).toString('hex').slice(0, 5)}`;
      const task = world.createTask('seedance', { body: checked.body }, id);
      const callbackUrl = checked.body.callback_url;
      if (typeof callbackUrl === 'string') {
        const from = originOf(request);
        world.onStageChange(task, () => void world.callBack('seedance', callbackUrl, view(task, from)));
      }
      return reply.send({ id });
    });

    app.get<{ Params: { id: string } }>(`${tasks}/:id`, async (request, reply) => {
      if (await turnedAway(world, gate, 'poll', request, reply)) return reply;
      const task = taskOf(request.params.id);
      if (!task) return notFound(reply, request.params.id);
      return reply.send(view(task, originOf(request)));
    });

    app.delete<{ Params: { id: string } }>(
      `${tasks}/:id`,
      async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
        if (await turnedAway(world, gate, 'poll', request, reply, 'cancel')) return reply;
        const task = taskOf(request.params.id);
        if (!task) return notFound(reply, request.params.id);
        const status = statusOf(task);
        if (status === 'queued') cancelled.add(task.id);
        else if (status === 'running' || status === 'cancelled') {
          // [unverified] Ark's code for "cannot cancel now" is not in its error table; this one is a stand-in.
          return arkError(reply, {
            status: 400,
            code: 'InvalidAction.TaskNotCancellable',
            message: `A ${status} task cannot be cancelled.`,
          });
        } else deleted.add(task.id);
        return reply.send({});
      },
    );
  };
}

export const seedance: VendorSimulator = {
  vendor: 'seedance',
  title: 'Seedance (Volcengine Ark)',
  routes: (world) => seedanceSimulator(world),
  account: () => ({ ...defaultSeedanceAccount }),
  models: Object.keys(models),
};
