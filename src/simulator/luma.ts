/**
 * A faithful Luma Dream Machine API: `Authorization: Bearer`, `POST /dream-machine/v1/generations` and
 * `/generations/video` (both paths: SDK ≤1.9 and ≥1.10) answering the Generation (201), `GET /generations/{id}`
 * moving queued → dreaming → completed | failed with failure_reason, `DELETE /generations/{id}`, and a POST of the
 * full Generation to `callback_url` on every update. Errors are FastAPI's `{detail}`.
 * Sources: lumalabs/lumaai-node v1.21 (src/resources/generations/generations.ts, video.ts: paths, body, Generation
 * type), docs.lumalabs.ai changelog "Callbacks" (every update, the Generation as body).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { admitter, isObject, requestOrigin } from './admission.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { Fault, SimTask, SimWorld } from './world.js';
import { clipAsked } from './clips.js';

export const defaultLumaAccount = { api_key: 'luma-sim-0123456789abcdef' };

export const lumaSimModels = ['ray-2', 'ray-flash-2'];
const aspectRatios = ['1:1', '16:9', '9:16', '4:3', '3:4', '21:9', '9:21'];
const resolutions = ['540p', '720p', '1080p', '4k'];
const durations = ['5s', '9s'];
const bodyFields = [
  'generation_type',
  'model',
  'prompt',
  'aspect_ratio',
  'loop',
  'keyframes',
  'resolution',
  'duration',
  'concepts',
  'callback_url',
];
// [UNVERIFIED] how long Luma's asset URLs live (undocumented; long in practice): a week here.
const assetTtlMs = 7 * 24 * 3600 * 1000;
const coverImage = readFileSync(new URL('./assets/cover.jpg', import.meta.url));

function lumaError(reply: FastifyReply, status: number, detail: string) {
  return reply.code(status).send({ detail });
}

/** The vendor's words for each scripted fault that answers a request. */
function faultProblem(fault: Fault): [status: number, detail: string] | null {
  switch (fault.type) {
    case 'http_error':
      return [fault.status, fault.status >= 500 ? 'Internal Server Error' : 'Bad Request'];
    case 'rate_limit':
      return [429, 'Too many concurrent generations, please try again later'];
    case 'content_safety':
      // [UNVERIFIED] the words of Luma's moderation refusal.
      return [400, 'Prompt not allowed because advanced moderation failed'];
    case 'auth_error':
      return [401, 'Invalid API key'];
    default:
      return null;
  }
}

function answerFault(reply: FastifyReply, fault: Fault): boolean {
  const problem = faultProblem(fault);
  if (!problem) return false;
  lumaError(problem[0] === 429 ? reply.header('retry-after', '1') : reply, ...problem);
  return true;
}

function checkBody(body: unknown): string | null {
  if (!isObject(body)) return 'body must be a JSON object';
  const unknown = Object.keys(body).find((k) => !bodyFields.includes(k));
  if (unknown) return `Extra inputs are not permitted: ${unknown}`;
  if (!lumaSimModels.includes(String(body.model)))
    return `Input should be ${lumaSimModels.map((m) => `'${m}'`).join(' or ')}: model`;
  if (body.generation_type !== undefined && body.generation_type !== 'video')
    return "Input should be 'video': generation_type";
  for (const [field, allowed] of [
    ['aspect_ratio', aspectRatios],
    ['resolution', resolutions],
    ['duration', durations],
  ] as const)
    if (body[field] !== undefined && !allowed.includes(String(body[field])))
      return `Invalid ${field}: ${String(body[field])}`;
  if (body.keyframes !== undefined) {
    if (!isObject(body.keyframes)) return 'keyframes must be an object';
    for (const [name, frame] of Object.entries(body.keyframes)) {
      if (name !== 'frame0' && name !== 'frame1') return `Invalid keyframe ${name}`;
      if (
        !isObject(frame) ||
        frame.type !== 'image' ||
        typeof frame.url !== 'string' ||
        !/^https?:\/\//.test(frame.url)
      )
        return `keyframes.${name} must be {type: "image", url} with an image URL`;
    }
  }
  if (!body.keyframes && (typeof body.prompt !== 'string' || body.prompt.length === 0))
    return 'Field required: prompt';
  return null;
}

export function lumaSimulator(world: SimWorld, keys = new Set([defaultLumaAccount.api_key])) {
  const admit = admitter(world, {
    vendor: 'luma',
    authenticate(request, reply) {
      const key = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (key && keys.has(key)) return true;
      lumaError(reply, 401, 'Invalid API key');
      return false;
    },
    answerFault,
  });

  /** The Generation; `origin` is the server's, `prefix` this simulator's (covers live under it). */
  function view(task: SimTask, origin: string, prefix = '/luma'): Record<string, unknown> {
    const stage = world.stage(task);
    const state = (
      { queued: 'queued', running: 'dreaming', succeeded: 'completed', failed: 'failed' } as const
    )[stage];
    let assets = null;
    if (stage === 'succeeded') {
      task.request.resultPath ??= world.publishVideo(
        assetTtlMs,
        clipAsked(task.request, task.deliveredSeconds),
      );
      const path = String(task.request.resultPath);
      assets = {
        video: origin + path,
        image: `${origin}${prefix}/covers/${path.slice('/files/'.length, -'.mp4'.length)}.jpg`,
      };
    }
    const body = task.request.body as Record<string, unknown>;
    return {
      id: task.id,
      generation_type: 'video',
      state,
      failure_reason: stage === 'failed' ? task.failReason : null,
      created_at: new Date(task.createdAt).toISOString(),
      model: body.model,
      assets,
      request: { ...body, resolution: body.resolution ?? '720p', duration: body.duration ?? '5s' },
    };
  }

  return async function plugin(app: FastifyInstance) {
    for (const path of ['/dream-machine/v1/generations', '/dream-machine/v1/generations/video']) {
      app.post(path, async (request, reply) => {
        if (!(await admit(request, reply, 'submit'))) return reply;
        const problem = checkBody(request.body);
        if (problem) return lumaError(reply, 400, problem);
        const task = world.createTask('luma', { body: request.body }, randomUUID());
        const callbackUrl = (request.body as { callback_url?: unknown }).callback_url;
        if (typeof callbackUrl === 'string') {
          const from = requestOrigin(request);
          world.onStageChange(task, () => void world.callBack('luma', callbackUrl, view(task, from)));
        }
        return reply.code(201).send(view(task, requestOrigin(request)));
      });
    }

    app.get<{ Params: { id: string } }>('/dream-machine/v1/generations/:id', async (request, reply) => {
      if (!(await admit(request, reply, 'poll'))) return reply;
      const task = world.tasks.get(request.params.id);
      if (!task || task.vendor !== 'luma' || task.request.deleted)
        return lumaError(reply, 404, 'Generation not found');
      return view(task, requestOrigin(request));
    });

    app.delete<{ Params: { id: string } }>('/dream-machine/v1/generations/:id', async (request, reply) => {
      if (!(await admit(request, reply, 'poll'))) return reply;
      const task = world.tasks.get(request.params.id);
      if (!task || task.vendor !== 'luma' || task.request.deleted)
        return lumaError(reply, 404, 'Generation not found');
      task.request.deleted = true;
      return reply.code(204).send();
    });

    app.get<{ Params: { name: string } }>('/covers/:name.jpg', async (request, reply) => {
      if (!world.fileIsLive(request.params.name))
        return reply.code(403).send('AccessDenied: the link has expired');
      return reply.header('content-type', 'image/jpeg').send(coverImage);
    });
  };
}

export const luma: VendorSimulator = {
  vendor: 'luma',
  title: 'Luma',
  routes: (world) => lumaSimulator(world),
  account: () => ({ ...defaultLumaAccount }),
  models: lumaSimModels,
};
