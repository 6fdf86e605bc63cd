/**
 * A faithful fal queue (queue.fal.run), written from docs.fal.ai and fal-ai/fal-js: `Authorization: Key <key>`,
 * submit POST /{endpoint id} → {request_id, response_url, status_url, cancel_url} (status and result live under the
 * endpoint's app id, without its sub-path), IN_QUEUE (queue_position) → IN_PROGRESS (logs) → COMPLETED, the result
 * at response_url, per-model input validation answered with fal's 422 {detail: [{loc, msg, type}]}, cancel (PUT)
 * only while queued, and fal_webhook called once the request is done.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { answerGenericFault } from './faults.js';
import {
  credentialOf,
  fileInput,
  inputProblem,
  oneOf,
  prompt,
  type InputProblem,
  type ModelSchema,
} from './model-inputs.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { Fault, SimTask, SimWorld } from './world.js';
import { clipAsked } from './clips.js';

export interface FalAccount {
  api_key: string;
}

export const defaultFalAccount: FalAccount = { api_key: 'sim-fal-key-id:sim-fal-key-secret' };

/** fal keeps generated media for a while (object lifecycle headers change it); 7 days here, unverified. */
const resultTtlMs = 7 * 24 * 3600 * 1000;

const klingDuration = oneOf(['5', '10']);
const veoResolution = oneOf(['720p', '1080p']);

/** Input schemas of the endpoints simulated, from fal.ai/models/<endpoint id>/llms.txt ("Input Schema"). */
const falEndpoints: Record<string, ModelSchema> = {
  'fal-ai/kling-video/v2.1/standard/text-to-video': z.object({
    prompt,
    duration: klingDuration.optional(),
    aspect_ratio: oneOf(['16:9', '9:16', '1:1']).optional(),
    negative_prompt: z.string().optional(),
    cfg_scale: z.number().min(0).max(1).optional(),
  }),
  'fal-ai/kling-video/v2.1/standard/image-to-video': z.object({
    prompt,
    image_url: fileInput,
    duration: klingDuration.optional(),
    negative_prompt: z.string().optional(),
    cfg_scale: z.number().min(0).max(1).optional(),
  }),
  'fal-ai/veo3': z.object({
    prompt,
    aspect_ratio: oneOf(['16:9', '9:16', '1:1']).optional(),
    duration: oneOf(['8s']).optional(),
    negative_prompt: z.string().optional(),
    enhance_prompt: z.boolean().optional(),
    seed: z.number().int().optional(),
    resolution: veoResolution.optional(),
    generate_audio: z.boolean().optional(),
  }),
  'fal-ai/veo3/image-to-video': z.object({
    prompt,
    image_url: fileInput,
    aspect_ratio: oneOf(['auto', '16:9', '9:16']).optional(),
    duration: oneOf(['8s']).optional(),
    resolution: veoResolution.optional(),
    generate_audio: z.boolean().optional(),
  }),
  'fal-ai/minimax/hailuo-02/standard/text-to-video': z.object({
    prompt,
    duration: oneOf(['6', '10']).optional(),
    prompt_optimizer: z.boolean().optional(),
  }),
  'fal-ai/wan/v2.2-a14b/text-to-video': z.object({
    prompt,
    negative_prompt: z.string().optional(),
    num_frames: z.number().int().min(17).max(161).optional(),
    seed: z.number().int().optional(),
    resolution: oneOf(['480p', '580p', '720p']).optional(),
    aspect_ratio: oneOf(['16:9', '9:16', '1:1']).optional(),
  }),
  'fal-ai/bytedance/seedance/v1/pro/text-to-video': z.object({
    prompt,
    aspect_ratio: oneOf(['21:9', '16:9', '4:3', '1:1', '3:4', '9:16']).optional(),
    resolution: oneOf(['480p', '720p', '1080p']).optional(),
    duration: oneOf(['3', '4', '5', '6', '7', '8', '9', '10', '11', '12']).optional(),
    camera_fixed: z.boolean().optional(),
    seed: z.number().int().optional(),
  }),
  // fal.ai/models/fal-ai/ltx-video: a model Reelay has no mapping for (its inputs reach fal through metadata).
  'fal-ai/ltx-video': z.object({
    prompt,
    negative_prompt: z.string().optional(),
    seed: z.number().int().optional(),
    num_inference_steps: z.number().int().min(1).max(50).optional(),
    guidance_scale: z.number().min(1).max(10).optional(),
  }),
};

/** docs.fal.ai/errors: one error object per problem, `loc` starting with "body" for input fields. */
const errorDetail = (loc: string[], msg: string, type: string) => ({
  detail: [{ loc: ['body', ...loc], msg, type, url: `https://docs.fal.ai/errors#${type}` }],
});

const validationError = (problem: InputProblem) =>
  errorDetail(problem.field ? problem.field.split('.') : [], problem.message, problem.kind);

/** fal's content checker refusal (type content_policy_violation, docs.fal.ai/errors). */
const contentPolicy = errorDetail(
  ['prompt'],
  'The content could not be processed because it contained material flagged by a content checker.',
  'content_policy_violation',
);

/** fal's answer to each scripted fault; bodies other than the 422 are unverified guesses in fal's `detail` shape. */
function answerFault(reply: FastifyReply, fault: Fault) {
  switch (fault.type) {
    case 'http_error':
      return reply
        .code(fault.status)
        .send({ detail: fault.status >= 500 ? 'Internal Server Error' : 'Bad Request' });
    case 'rate_limit':
      return reply.code(429).header('retry-after', '1').send({ detail: 'Too many concurrent requests' });
    case 'content_safety':
      return reply.code(422).send(contentPolicy);
    case 'auth_error':
      return reply.code(401).send({ detail: 'Invalid Key Authorization header format or invalid key' });
    default:
      return null;
  }
}

interface FalRequest {
  endpoint: string;
  appId: string;
  input: Record<string, unknown>;
  webhook: string | null;
  cancelled: boolean;
  resultPath?: string;
}

/** The app part of an endpoint id: fal keeps status and results under owner/alias (docs.fal.ai queue "subpath"). */
const appIdOf = (endpoint: string) => endpoint.split('/').slice(0, 2).join('/');

export function falSimulator(world: SimWorld, accounts: FalAccount[] = [defaultFalAccount]) {
  const keys = new Set(accounts.map((a) => a.api_key));

  function authenticate(request: FastifyRequest, reply: FastifyReply): boolean {
    const key = credentialOf(request.headers.authorization, 'Key');
    if (key && keys.has(key)) return true;
    // Unverified: fal's exact 401 text; the status and the `detail` string are what clients read.
    reply.code(401).send({
      detail: key ? 'Invalid Key Authorization header format or invalid key' : 'Missing Authorization header',
    });
    return false;
  }

  const requestOf = (task: SimTask) => task.request as unknown as FalRequest;

  function urls(base: string, task: SimTask) {
    const root = `${base}/${requestOf(task).appId}/requests/${task.id}`;
    return { response_url: root, status_url: `${root}/status`, cancel_url: `${root}/cancel` };
  }

  /** How many of fal's requests, sent earlier, still wait in the queue before this one. */
  function ahead(task: SimTask): number {
    let count = 0;
    for (const other of world.tasks.values()) {
      if (other.vendor !== 'fal' || other.createdAt >= task.createdAt || requestOf(other).cancelled) continue;
      if (world.stage(other) === 'queued') count++;
    }
    return count;
  }

  /** The status answer (fal-js QueueStatus): queued with a position, in progress with logs, completed. */
  function statusView(task: SimTask, base: string, withLogs: boolean) {
    const stage = requestOf(task).cancelled ? 'failed' : world.stage(task);
    const logs = withLogs ? logLines(stage) : null;
    const common = { request_id: task.id, ...urls(base, task) };
    if (stage === 'queued') return { status: 'IN_QUEUE', queue_position: ahead(task), ...common };
    if (stage === 'running') return { status: 'IN_PROGRESS', logs, ...common };
    return {
      status: 'COMPLETED',
      logs,
      metrics: { inference_time: task.durationMs / 1000 },
      ...common,
    };
  }

  /** The result at response_url: the video, or the model's error (fal-js ValidationError shape). */
  function result(task: SimTask, origin: string): { status: number; body: unknown } {
    const request = requestOf(task);
    if (request.cancelled)
      return { status: 400, body: errorDetail([], 'The request was cancelled', 'request_cancelled') };
    const stage = world.stage(task);
    if (stage === 'queued' || stage === 'running')
      return { status: 400, body: { detail: 'Request is still in progress' } };
    if (stage === 'failed') {
      const reason = task.failReason!;
      const type = /content|policy|nsfw|safety/i.test(reason)
        ? 'content_policy_violation'
        : 'generation_failed';
      return { status: 422, body: errorDetail([], reason, type) };
    }
    request.resultPath ??= world.publishVideo(resultTtlMs, clipAsked(task.request, task.deliveredSeconds));
    const seed = request.input.seed;
    return {
      status: 200,
      body: {
        video: { url: origin + request.resultPath, content_type: 'video/mp4', file_name: 'output.mp4' },
        ...(typeof seed === 'number' ? { seed } : {}),
      },
    };
  }

  function findTask(request: FastifyRequest<{ Params: RequestParams }>): SimTask | undefined {
    const { owner, alias, id } = request.params;
    const task = world.tasks.get(id);
    return task && task.vendor === 'fal' && requestOf(task).appId === `${owner}/${alias}` ? task : undefined;
  }

  /** Auth, then the phase's scripted fault; false when the request has been answered. */
  async function admit(request: FastifyRequest, reply: FastifyReply, phase: 'submit' | 'poll') {
    if (!authenticate(request, reply)) return false;
    const fault = world.takeFault('fal', phase);
    if (fault && ((await answerGenericFault(request, reply, fault)) || answerFault(reply, fault)))
      return false;
    return true;
  }

  return async function plugin(app: FastifyInstance) {
    app.post<{ Params: { '*': string }; Querystring: { fal_webhook?: string } }>(
      '/*',
      async (request, reply) => {
        world.count('fal', 'submit');
        if (!(await admit(request, reply, 'submit'))) return reply;
        const endpoint = request.params['*'];
        const schema = falEndpoints[endpoint];
        // Unverified: the exact body fal gives for an unknown app.
        if (!schema) return reply.code(404).send({ detail: `Application '${endpoint}' not found` });
        // Unverified when fal validates a queued request's input: here at submit (the loud choice: the client hears
        // at once); the adapter also reads a 422 at response_url, should fal answer there instead.
        const problem = inputProblem(schema, request.body);
        if (problem) return reply.code(422).send(validationError(problem));

        const falRequest: FalRequest = {
          endpoint,
          appId: appIdOf(endpoint),
          input: request.body as Record<string, unknown>,
          webhook: request.query.fal_webhook ?? null,
          cancelled: false,
        };
        const task = world.createTask('fal', falRequest as unknown as Record<string, unknown>, randomUUID());
        const base = baseOf(request);
        if (falRequest.webhook) {
          // docs.fal.ai/model-endpoints/webhooks: one POST when the request is done, status OK | ERROR, the payload.
          const url = falRequest.webhook;
          let called = false;
          world.onStageChange(task, (stage) => {
            // Once, at the end (a late timer may already see the end at the start's boundary).
            if ((stage !== 'succeeded' && stage !== 'failed') || called) return;
            called = true;
            const { status, body } = result(task, originOf(request));
            void world.callBack('fal', url, {
              request_id: task.id,
              gateway_request_id: task.id,
              status: status === 200 ? 'OK' : 'ERROR',
              payload: body,
              ...(status === 200 ? {} : { error: `Invalid status code: ${status}` }),
            });
          });
        }
        return reply.send({ request_id: task.id, ...urls(base, task), queue_position: 0 });
      },
    );

    app.get<{ Params: RequestParams; Querystring: { logs?: string } }>(
      '/:owner/:alias/requests/:id/status',
      async (request, reply) => {
        world.count('fal', 'poll');
        if (!(await admit(request, reply, 'poll'))) return reply;
        const task = findTask(request);
        if (!task) return reply.code(404).send({ detail: 'Request not found' });
        return reply.send(statusView(task, baseOf(request), request.query.logs === '1'));
      },
    );

    app.get<{ Params: RequestParams }>('/:owner/:alias/requests/:id', async (request, reply) => {
      world.count('fal', 'result');
      if (!(await admit(request, reply, 'poll'))) return reply;
      const task = findTask(request);
      if (!task) return reply.code(404).send({ detail: 'Request not found' });
      const { status, body } = result(task, originOf(request));
      return reply.code(status).send(body);
    });

    // docs.fal.ai queue: "PUT …/cancel: cancels a request that has not started processing"; 202 or 400.
    app.put<{ Params: RequestParams }>('/:owner/:alias/requests/:id/cancel', async (request, reply) => {
      world.count('fal', 'cancel');
      if (!authenticate(request, reply)) return reply;
      const task = findTask(request);
      if (!task) return reply.code(404).send({ detail: 'Request not found' });
      // Unverified: the answer for a request already running (docs speak only of not-yet-started ones).
      if (requestOf(task).cancelled || world.stage(task) !== 'queued')
        return reply.code(400).send({ status: 'ALREADY_COMPLETED' });
      requestOf(task).cancelled = true;
      return reply.code(202).send({ status: 'CANCELLATION_REQUESTED' });
    });
  };
}

interface RequestParams {
  owner: string;
  alias: string;
  id: string;
}

function logLines(stage: string) {
  const now = new Date().toISOString();
  const lines = [{ message: 'Generating video...', level: 'INFO', source: 'user', timestamp: now }];
  if (stage !== 'running')
    lines.push({ message: 'Uploading result...', level: 'INFO', source: 'user', timestamp: now });
  return lines;
}

const originOf = (request: FastifyRequest) => `${request.protocol}://${request.headers.host}`;
/** The simulator's own base (origin + the /fal prefix), as the queue's URLs are absolute. */
const baseOf = (request: FastifyRequest) => `${originOf(request)}/fal`;

export const fal: VendorSimulator = {
  vendor: 'fal',
  title: 'fal',
  routes: (world) => falSimulator(world),
  account: () => ({ ...defaultFalAccount }),
  openCatalog: true,
  models: Object.keys(falEndpoints),
};
