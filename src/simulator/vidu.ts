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
import {
  viduCreateBody,
  viduEndpointFields,
  viduEndpoints,
  viduImageCounts,
  viduModelRule,
  viduReason,
  viduModels,
  type ViduCreateBody,
  type ViduEndpoint,
  type ViduState,
} from '../vendors/vidu/types.js';
import { answerGenericFault } from './faults.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { Fault, SimTask, SimWorld } from './world.js';

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

type Checked = { body: ViduCreateBody & { duration: number; resolution: string } } | { problem: ViduProblem };

/** Vidu's checks of a create body, in the order Vidu reports them. */
function checkBody(endpoint: ViduEndpoint, raw: unknown): Checked {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return badRequest('BadRequest', 'the request body must be a JSON object');
  }
  const unwanted = Object.keys(raw).find((key) => !viduEndpointFields[endpoint].includes(key));
  if (unwanted) return badRequest('FieldUnwanted', `${endpoint} does not take the field ${unwanted}`);
  if (!('model' in raw)) return badRequest('FieldLacking', 'model is required');
  const parsed = viduCreateBody.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return badRequest('FieldInvalid', `${issue.path.join('.')}: ${issue.message}`);
  }
  const body = parsed.data;
  const rule = viduModelRule(endpoint, body.model);
  if (!rule) return badRequest('FieldInvalid', `model ${body.model} is not supported by ${endpoint}`);
  if ((endpoint === 'text2video' || endpoint === 'reference2video') && !body.prompt) {
    return badRequest('FieldLacking', 'prompt is required');
  }
  const { min } = viduImageCounts[endpoint];
  const max = Math.min(viduImageCounts[endpoint].max, rule.maxImages);
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
  task.failReason && viduReason(task.failReason) ? task.failReason : 'InternalServiceFailure';

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
  function stateOf(task: SimTask): ViduState {
    const stage = world.stage(task);
    if (stage === 'queued') return world.progress(task) < 10 ? 'created' : 'queueing';
    return ({ running: 'processing', succeeded: 'success', failed: 'failed' } as const)[stage];
  }

  return async function plugin(app: FastifyInstance) {
    for (const endpoint of viduEndpoints) {
      app.post(`/ent/v2/${endpoint}`, async (request, reply) => {
        if (await refused(request, reply, 'submit')) return reply;
        const checked = checkBody(endpoint, request.body);
        if ('problem' in checked) return viduError(reply, checked.problem);
        const { body } = checked;
        const task = world.createTask('vidu', { endpoint, body: request.body });
        const takesImages = endpoint !== 'text2video';
        const takesAspect = viduEndpointFields[endpoint].includes('aspect_ratio');
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
      const body = task.request.body as ViduCreateBody;
      const creations = [];
      if (state === 'success') {
        task.request.resultPath ??= world.publishVideo(resultTtlMs);
        const videoPath = String(task.request.resultPath);
        const fileName = videoPath.slice('/files/'.length, -'.mp4'.length);
        const origin = `${request.protocol}://${request.headers.host}`;
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
  models: viduModels,
};
