/**
 * A faithful Runway API: `Authorization: Bearer` and `X-Runway-Version: 2024-11-06` required on every request,
 * `POST /v1/text_to_video` and `/v1/image_to_video` validated per model and answering `{id}` only, tasks moving
 * PENDING → THROTTLED → RUNNING (progress 0–1) → SUCCEEDED (output URLs) | FAILED (failure, failureCode), and
 * `DELETE /v1/tasks/{id}` cancelling a task still running (CANCELLED) or deleting an ended one (404 after).
 * Sources: runwayml/sdk-node v4.12 (src/client.ts headers; src/resources/image-to-video.ts, text-to-video.ts
 * model unions; src/resources/tasks.ts statuses), docs.dev.runwayml.com/errors/task-failures (failureCode).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { admitter, isObject, requestOrigin } from './admission.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { Fault, SimTask, SimWorld } from './world.js';
import { clipAsked } from './clips.js';

export const defaultRunwayAccount = { api_key: 'key_sim_runway_0123456789abcdef' };

const gen4Ratios = ['1280:720', '720:1280', '1104:832', '832:1104', '960:960', '1584:672'];
const veoRatios = ['1280:720', '720:1280', '1080:1920', '1920:1080'];
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Each model's body rules per endpoint, stated from the SDK's request unions. */
interface ModelSpec {
  ratios: string[];
  durations: number[];
  durationRequired: boolean;
  promptRequired: boolean;
  /** Fields the model takes beyond model, promptText, promptImage, ratio, duration. */
  fields: string[];
  lastFrame: boolean;
}
const gen4: Omit<ModelSpec, 'ratios'> = {
  durations: range(2, 10),
  durationRequired: false,
  promptRequired: false,
  fields: ['seed', 'contentModeration'],
  lastFrame: false,
};
const veo: Omit<ModelSpec, 'durations' | 'durationRequired'> = {
  ratios: veoRatios,
  promptRequired: false,
  fields: ['audio', 'negativePrompt'],
  lastFrame: true,
};
const specs: Record<'image_to_video' | 'text_to_video', Record<string, ModelSpec>> = {
  image_to_video: {
    gen4_turbo: { ...gen4, ratios: gen4Ratios },
    'gen4.5': { ...gen4, ratios: gen4Ratios, durationRequired: true, promptRequired: true },
    // veo3's image_to_video has no duration field at all (sdk-node ImageToVideoCreateParams.Veo3).
    veo3: { ...veo, durations: [], durationRequired: false, fields: ['negativePrompt'], lastFrame: false },
    'veo3.1': { ...veo, durations: [4, 6, 8], durationRequired: false },
    'veo3.1_fast': { ...veo, durations: [4, 6, 8], durationRequired: false },
  },
  text_to_video: {
    'gen4.5': { ...gen4, ratios: ['1280:720', '720:1280'], durationRequired: true, promptRequired: true },
    veo3: {
      ...veo,
      durations: [8],
      durationRequired: true,
      promptRequired: true,
      fields: ['negativePrompt'],
      lastFrame: false,
    },
    'veo3.1': { ...veo, durations: [4, 6, 8], durationRequired: false, promptRequired: true },
    'veo3.1_fast': { ...veo, durations: [4, 6, 8], durationRequired: false, promptRequired: true },
  },
};
export const runwaySimModels = [...new Set(Object.values(specs).flatMap((s) => Object.keys(s)))];

/** Output URLs are signed and "expire within 24-48 hours" (the API reference, task output). */
const outputTtlMs = 24 * 3600 * 1000;

function runwayError(reply: FastifyReply, status: number, error: string, issues?: unknown[]) {
  return reply.code(status).send({ error, ...(issues ? { issues } : {}) });
}

/** The vendor's words for each scripted fault that answers a request. */
function faultProblem(fault: Fault): [status: number, error: string] | null {
  switch (fault.type) {
    case 'http_error':
      return [fault.status, fault.status >= 500 ? 'An unexpected error occurred.' : 'Bad request.'];
    case 'rate_limit':
      return [429, 'You have exceeded the rate limit.'];
    case 'auth_error':
      return [401, 'Invalid API key.'];
    default:
      return null;
  }
}

function answerFault(reply: FastifyReply, fault: Fault): boolean {
  const problem = faultProblem(fault);
  if (!problem) return false;
  runwayError(problem[0] === 429 ? reply.header('retry-after', '1') : reply, ...problem);
  return true;
}

/** An HTTPS URL, or a data URI under 5 MB (docs.dev.runwayml.com/assets/inputs). */
const isImage = (value: unknown) =>
  typeof value === 'string' &&
  /^(https:\/\/|data:image\/(png|jpeg|webp);base64,)/.test(value) &&
  value.length < 5 * 1024 * 1024;

/** Runway's checks of a create body: a 400 "Validation of body failed" with the issue, as the API reports it. */
function checkBody(endpoint: 'image_to_video' | 'text_to_video', body: unknown): string | null {
  if (!isObject(body)) return 'body must be a JSON object';
  const spec = typeof body.model === 'string' ? specs[endpoint][body.model] : undefined;
  if (!spec)
    return `model: Invalid discriminator value. Expected ${Object.keys(specs[endpoint])
      .map((m) => `'${m}'`)
      .join(' | ')}`;
  const allowed = [
    'model',
    'promptText',
    'ratio',
    'duration',
    ...spec.fields,
    ...(endpoint === 'image_to_video' ? ['promptImage'] : []),
  ];
  const unknown = Object.keys(body).find((k) => !allowed.includes(k));
  if (unknown) return `Unrecognized key(s) in object: '${unknown}'`;
  if (spec.promptRequired && (typeof body.promptText !== 'string' || body.promptText.length === 0))
    return 'promptText: Required';
  if (typeof body.promptText === 'string' && body.promptText.length > 1000)
    return 'promptText: String must contain at most 1000 character(s)';
  if (typeof body.ratio !== 'string' || !spec.ratios.includes(body.ratio))
    return `ratio: Invalid enum value. Expected ${spec.ratios.join(' | ')}`;
  if (body.duration === undefined ? spec.durationRequired : !spec.durations.includes(Number(body.duration)))
    return `duration: Invalid value. Expected ${spec.durations.join(' | ')}`;
  if (endpoint === 'image_to_video') {
    const image = body.promptImage;
    const frames = Array.isArray(image) ? image : [{ uri: image, position: 'first' }];
    if (!frames.every((f) => isObject(f) && isImage(f.uri)))
      return 'promptImage: an HTTPS URL or an image data URI is required';
    const positions = frames.map((f) => (f as { position?: unknown }).position);
    if (
      positions[0] !== 'first' ||
      positions.length > (spec.lastFrame ? 2 : 1) ||
      (positions[1] !== undefined && positions[1] !== 'last')
    )
      return 'promptImage: a first frame, then at most one last frame where the model takes one';
  }
  if (
    body.seed !== undefined &&
    (!Number.isInteger(body.seed) || Number(body.seed) < 0 || Number(body.seed) > 4294967295)
  )
    return 'seed: Number must be an integer from 0 to 4294967295';
  return null;
}

export function runwaySimulator(world: SimWorld, keys = new Set([defaultRunwayAccount.api_key])) {
  /** Submits met by a content_safety fault: Runway moderates after accepting, failing the task with SAFETY.INPUT.*. */
  const moderated = new WeakSet<FastifyRequest>();

  const admit = admitter(world, {
    vendor: 'runway',
    authenticate(request, reply) {
      const key = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!key || !keys.has(key)) {
        runwayError(reply, 401, 'Invalid API key.');
        return false;
      }
      // [UNVERIFIED] the wording; the version header itself is required (the SDK sends it on every call).
      if (request.headers['x-runway-version'] !== '2024-11-06') {
        runwayError(reply, 400, 'The X-Runway-Version header is missing or names an unsupported version.');
        return false;
      }
      return true;
    },
    answerFault(reply, fault, request) {
      if (fault.type !== 'content_safety') return answerFault(reply, fault);
      moderated.add(request);
      return false;
    },
  });

  function view(task: SimTask, origin: string): Record<string, unknown> {
    const base = { id: task.id, createdAt: new Date(task.createdAt).toISOString() };
    if (task.request.cancelled) return { ...base, status: 'CANCELLED' };
    const stage = world.stage(task);
    switch (stage) {
      case 'queued':
        // Accepted but waiting for the organisation's concurrency: THROTTLED, after a moment PENDING.
        return { ...base, status: world.progress(task) < 10 ? 'PENDING' : 'THROTTLED' };
      case 'running':
        return { ...base, status: 'RUNNING', progress: Math.min(0.99, world.progress(task) / 100) };
      case 'succeeded':
        task.request.resultPath ??= world.publishVideo(
          outputTtlMs,
          clipAsked(task.request, task.deliveredSeconds),
        );
        return {
          ...base,
          status: 'SUCCEEDED',
          output: [`${origin}${String(task.request.resultPath)}?_jwt=sim`],
        };
      case 'failed': {
        const code = task.failReason?.includes('.') ? task.failReason : 'INTERNAL.BAD_OUTPUT.CODE01';
        return { ...base, status: 'FAILED', failure: `The task failed (${code}).`, failureCode: code };
      }
    }
  }

  return async function plugin(app: FastifyInstance) {
    for (const endpoint of ['image_to_video', 'text_to_video'] as const) {
      app.post(`/v1/${endpoint}`, async (request, reply) => {
        if (!(await admit(request, reply, 'submit'))) return reply;
        const problem = checkBody(endpoint, request.body);
        if (problem) return runwayError(reply, 400, 'Validation of body failed', [{ message: problem }]);
        const task = world.createTask('runway', { endpoint, body: request.body }, randomUUID());
        if (moderated.has(request)) task.failReason = 'SAFETY.INPUT.TEXT';
        return { id: task.id };
      });
    }

    app.get<{ Params: { id: string } }>('/v1/tasks/:id', async (request, reply) => {
      if (!(await admit(request, reply, 'poll'))) return reply;
      const task = world.tasks.get(request.params.id);
      if (!task || task.vendor !== 'runway' || task.request.deleted)
        return runwayError(reply, 404, 'Task not found.');
      return view(task, requestOrigin(request));
    });

    app.delete<{ Params: { id: string } }>('/v1/tasks/:id', async (request, reply) => {
      if (!(await admit(request, reply, 'cancel'))) return reply;
      const task = world.tasks.get(request.params.id);
      if (!task || task.vendor !== 'runway' || task.request.deleted)
        return runwayError(reply, 404, 'Task not found.');
      const stage = world.stage(task);
      if ((stage === 'queued' || stage === 'running') && !task.request.cancelled)
        task.request.cancelled = true;
      else task.request.deleted = true;
      return reply.code(204).send();
    });
  };
}

export const runway: VendorSimulator = {
  vendor: 'runway',
  title: 'Runway',
  routes: (world) => runwaySimulator(world),
  account: () => ({ ...defaultRunwayAccount }),
  models: runwaySimModels,
};
