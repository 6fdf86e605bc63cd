/**
 * A faithful Replicate (api.replicate.com/v1), written from replicate.com/docs and replicate/replicate-javascript:
 * Bearer auth, predictions created by model (POST /v1/models/{owner}/{name}/predictions) or by version
 * (POST /v1/predictions), per-model input validation answered with problem JSON (422 "Input validation failed"),
 * statuses starting → processing → succeeded | failed | canceled, outputs as URLs deleted an hour after the
 * prediction ends, cancel, `Prefer: wait` held until the prediction ends, and webhooks filtered by event.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { answerGenericFault } from './faults.js';
import {
  credentialOf,
  fileInput,
  inputProblem,
  numberIn,
  oneOf,
  prompt,
  type ModelSchema,
} from './model-inputs.js';
import type { VendorSimulator } from './vendor-simulator.js';
import { sleep, type Fault, type SimStage, type SimTask, type SimWorld } from './world.js';
import { clipAsked } from './clips.js';

export interface ReplicateAccount {
  api_key: string;
}

export const defaultReplicateAccount: ReplicateAccount = { api_key: 'r8_sim_replicate_token' };

/** replicate.com/docs/topics/predictions/data-retention: API outputs are removed after an hour. */
const outputTtlMs = 3600 * 1000;
/** replicate.com/docs …/create-a-prediction: sync mode holds the request 60 seconds at most. */
const maxWaitSeconds = 60;

interface ReplicateModel {
  schema: ModelSchema;
  /** Output schema: a single URI for most video models; a list of URIs for older cog models (unverified: ltx). */
  output: 'uri' | 'list';
}

/** Input schemas from each model's API page (replicate.com/<owner>/<name>/api). */
const replicateModelTable: Record<string, ReplicateModel> = {
  'kwaivgi/kling-v2.1': {
    schema: z.object({
      prompt,
      start_image: fileInput,
      end_image: fileInput.optional(),
      mode: oneOf(['standard', 'pro']).optional(),
      duration: numberIn([5, 10]).optional(),
      negative_prompt: z.string().optional(),
    }),
    output: 'uri',
  },
  'kwaivgi/kling-v2.1-master': {
    schema: z.object({
      prompt,
      start_image: fileInput.optional(),
      aspect_ratio: oneOf(['16:9', '9:16', '1:1']).optional(),
      duration: numberIn([5, 10]).optional(),
      negative_prompt: z.string().optional(),
    }),
    output: 'uri',
  },
  'google/veo-3': {
    schema: z.object({
      prompt,
      image: fileInput.optional(),
      aspect_ratio: oneOf(['16:9', '9:16']).optional(),
      duration: numberIn([8]).optional(),
      resolution: oneOf(['720p', '1080p']).optional(),
      negative_prompt: z.string().optional(),
      generate_audio: z.boolean().optional(),
      seed: z.number().int().optional(),
    }),
    output: 'uri',
  },
  'minimax/hailuo-02': {
    schema: z.object({
      prompt,
      first_frame_image: fileInput.optional(),
      duration: numberIn([6, 10]).optional(),
      resolution: oneOf(['512p', '768p', '1080p']).optional(),
      prompt_optimizer: z.boolean().optional(),
    }),
    output: 'uri',
  },
  'wan-video/wan-2.2-t2v-fast': {
    schema: z.object({
      prompt,
      aspect_ratio: oneOf(['16:9', '9:16']).optional(),
      resolution: oneOf(['480p', '720p']).optional(),
      num_frames: z.number().int().min(81).max(121).optional(),
      seed: z.number().int().optional(),
    }),
    output: 'uri',
  },
  'bytedance/seedance-1-pro': {
    schema: z.object({
      prompt,
      image: fileInput.optional(),
      duration: z.number().int().min(2).max(12).optional(),
      resolution: oneOf(['480p', '720p', '1080p']).optional(),
      aspect_ratio: oneOf(['16:9', '4:3', '1:1', '3:4', '9:16', '21:9', '9:21']).optional(),
      seed: z.number().int().optional(),
      camera_fixed: z.boolean().optional(),
    }),
    output: 'uri',
  },
  // A model Reelay has no mapping for: its inputs reach Replicate through metadata.
  'lightricks/ltx-video': {
    schema: z.object({
      prompt,
      negative_prompt: z.string().optional(),
      cfg: z.number().min(1).max(20).optional(),
      steps: z.number().int().min(1).max(50).optional(),
      length: numberIn([97, 129, 161, 193, 225, 257]).optional(),
      seed: z.number().int().optional(),
    }),
    output: 'list',
  },
};

/** Each model's current version id (64 hex), for predictions created by version. */
export const replicateVersionOf = (model: string) => createHash('sha256').update(model).digest('hex');
const modelByVersion = new Map(Object.keys(replicateModelTable).map((m) => [replicateVersionOf(m), m]));

/** RFC 7807 problem JSON, as every Replicate error is. */
function problem(reply: FastifyReply, status: number, title: string, detail: string, extra: object = {}) {
  return reply
    .code(status)
    .header('content-type', 'application/problem+json')
    .send(JSON.stringify({ title, detail, status, ...extra }));
}

/** The safety checker's failure (error code E005), as predictions report it. */
const flaggedError =
  'The input or output was flagged as sensitive. Please try again with different inputs. (E005)';

/** Replicate's answer to each scripted fault (content_safety is a prediction failing with E005, see submit). */
function answerFault(reply: FastifyReply, fault: Fault) {
  switch (fault.type) {
    case 'http_error':
      return fault.status >= 500
        ? problem(reply, fault.status, 'Internal Server Error', 'An internal error occurred.')
        : problem(reply, fault.status, 'Bad Request', 'The request could not be understood.');
    case 'rate_limit':
      reply.header('retry-after', '1');
      return problem(
        reply,
        429,
        'Request was throttled.',
        'Request was throttled. Expected available in 1 second.',
      );
    case 'auth_error':
      return problem(reply, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
    default:
      return null;
  }
}

interface Prediction {
  model: string;
  version: string;
  input: Record<string, unknown>;
  webhook: string | null;
  events: string[];
  canceledAt: number | null;
  outputPath?: string;
}

type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
const statusOf: Record<SimStage, PredictionStatus> = {
  queued: 'starting',
  running: 'processing',
  succeeded: 'succeeded',
  failed: 'failed',
};
const ended = (status: PredictionStatus) =>
  status === 'succeeded' || status === 'failed' || status === 'canceled';

export function replicateSimulator(
  world: SimWorld,
  accounts: ReplicateAccount[] = [defaultReplicateAccount],
) {
  const tokens = new Set(accounts.map((a) => a.api_key));
  const predictionOf = (task: SimTask) => task.request as unknown as Prediction;
  const statusNow = (task: SimTask): PredictionStatus =>
    predictionOf(task).canceledAt !== null ? 'canceled' : statusOf[world.stage(task)];

  function view(task: SimTask, origin: string) {
    const prediction = predictionOf(task);
    const status = statusNow(task);
    const endedAt = prediction.canceledAt ?? world.finishedAt(task);
    const removed = ended(status) && Date.now() > endedAt + outputTtlMs;
    let output: unknown = null;
    if (status === 'succeeded' && !removed) {
      prediction.outputPath ??= world.publishVideo(
        endedAt + outputTtlMs - Date.now(),
        clipAsked(task.request, task.deliveredSeconds),
      );
      const url = origin + prediction.outputPath;
      output = replicateModelTable[prediction.model]!.output === 'list' ? [url] : url;
    }
    const api = `${origin}/replicate/v1/predictions/${task.id}`;
    return {
      id: task.id,
      model: prediction.model,
      version: prediction.version,
      input: removed ? {} : prediction.input,
      logs: status === 'starting' ? '' : 'Generating video...\n',
      output,
      data_removed: removed,
      error: status === 'failed' ? task.failReason : null,
      status,
      source: 'api',
      created_at: new Date(task.createdAt).toISOString(),
      started_at: status === 'starting' ? null : new Date(task.createdAt + task.durationMs / 5).toISOString(),
      completed_at: ended(status) ? new Date(endedAt).toISOString() : null,
      urls: { get: api, cancel: `${api}/cancel`, web: `https://replicate.com/p/${task.id}` },
      ...(status === 'succeeded' ? { metrics: { predict_time: (task.durationMs * 0.8) / 1000 } } : {}),
    };
  }

  async function admit(request: FastifyRequest, reply: FastifyReply, phase: 'submit' | 'poll') {
    const token = credentialOf(request.headers.authorization, 'Bearer');
    if (!token || !tokens.has(token)) {
      problem(reply, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
      return false;
    }
    const fault = world.takeFault('replicate', phase);
    if (fault && fault.type !== 'content_safety') {
      if ((await answerGenericFault(request, reply, fault)) || answerFault(reply, fault)) return false;
    }
    return fault?.type === 'content_safety' ? 'flagged' : true;
  }

  /** lib/predictions.js sends webhook + webhook_events_filter; events start, output, logs, completed. */
  function scheduleWebhook(task: SimTask, origin: string) {
    const { webhook, events } = predictionOf(task);
    if (!webhook) return;
    // Each event once: a late timer may already see the end at the start's boundary.
    const sent = new Set<string>();
    world.onStageChange(task, (stage) => {
      const event = stage === 'running' ? 'start' : stage === 'queued' ? null : 'completed';
      if (!event || sent.has(event) || !events.includes(event) || predictionOf(task).canceledAt !== null)
        return;
      sent.add(event);
      void world.callBack('replicate', webhook, view(task, origin));
    });
  }

  async function create(request: FastifyRequest, reply: FastifyReply, model: string | undefined) {
    world.count('replicate', 'submit');
    const admitted = await admit(request, reply, 'submit');
    if (!admitted) return reply;
    if (!model || !replicateModelTable[model])
      return problem(reply, 404, 'Not found', 'The requested resource could not be found.');
    const body = (request.body ?? {}) as {
      input?: unknown;
      webhook?: unknown;
      webhook_events_filter?: unknown;
    };
    const problemFound = inputProblem(replicateModelTable[model].schema, body.input);
    if (problemFound) {
      const field = problemFound.field ? `input.${problemFound.field}` : 'input';
      // Title and detail as Replicate's API words them; `invalid_fields` is unverified (the adapter falls back to
      // title and detail without it).
      return problem(reply, 422, 'Input validation failed', `- ${field}: ${problemFound.message}\n`, {
        invalid_fields: [{ type: problemFound.kind, field, description: problemFound.message }],
      });
    }
    const prediction: Prediction = {
      model,
      version: replicateVersionOf(model),
      input: body.input as Record<string, unknown>,
      webhook: typeof body.webhook === 'string' ? body.webhook : null,
      // replicate.com/docs/topics/webhooks: all events when no filter is given.
      events: Array.isArray(body.webhook_events_filter)
        ? body.webhook_events_filter.map(String)
        : ['start', 'output', 'logs', 'completed'],
      canceledAt: null,
    };
    const task = world.createTask(
      'replicate',
      prediction as unknown as Record<string, unknown>,
      newPredictionId(),
    );
    // A flagged input fails the prediction with E005 rather than refusing the request.
    if (admitted === 'flagged') task.failReason = flaggedError;
    const origin = originOf(request);
    scheduleWebhook(task, origin);
    const wait = preferredWait(String(request.headers.prefer ?? ''));
    if (wait !== null) {
      const deadline = Date.now() + wait * 1000;
      while (!ended(statusNow(task)) && Date.now() < deadline)
        await sleep(Math.min(50, task.durationMs / 10));
    }
    return reply.code(201).send(view(task, origin));
  }

  const findTask = (id: string) => {
    const task = world.tasks.get(id);
    return task?.vendor === 'replicate' ? task : undefined;
  };

  return async function plugin(app: FastifyInstance) {
    app.post<{ Params: { owner: string; name: string } }>(
      '/v1/models/:owner/:name/predictions',
      (request, reply) => create(request, reply, `${request.params.owner}/${request.params.name}`),
    );

    app.post('/v1/predictions', (request, reply) => {
      const version = (request.body as { version?: unknown } | undefined)?.version;
      // The version id alone, or owner/name:version (both accepted by the API).
      const id = typeof version === 'string' ? version.split(':').at(-1)! : '';
      return create(request, reply, modelByVersion.get(id));
    });

    app.get<{ Params: { id: string } }>('/v1/predictions/:id', async (request, reply) => {
      world.count('replicate', 'poll');
      if (!(await admit(request, reply, 'poll'))) return reply;
      const task = findTask(request.params.id);
      if (!task) return problem(reply, 404, 'Not found', 'The requested resource could not be found.');
      return reply.send(view(task, originOf(request)));
    });

    app.post<{ Params: { id: string } }>('/v1/predictions/:id/cancel', async (request, reply) => {
      world.count('replicate', 'cancel');
      if (!(await admit(request, reply, 'poll'))) return reply;
      const task = findTask(request.params.id);
      if (!task) return problem(reply, 404, 'Not found', 'The requested resource could not be found.');
      // A prediction that has ended stays as it is; the answer is the prediction either way.
      if (!ended(statusNow(task))) {
        predictionOf(task).canceledAt = Date.now();
        const { webhook, events } = predictionOf(task);
        if (webhook && events.includes('completed'))
          void world.callBack('replicate', webhook, view(task, originOf(request)));
      }
      return reply.send(view(task, originOf(request)));
    });
  };
}

/** `Prefer: wait` (60 s) or `Prefer: wait=n` (lib/predictions.js), or null for an async create. */
function preferredWait(header: string): number | null {
  const match = header ? /^wait(?:=(\d+))?$/.exec(header.trim()) : null;
  if (!match) return null;
  return Math.min(maxWaitSeconds, match[1] ? Number(match[1]) : maxWaitSeconds);
}

/** Replicate prediction ids are 26 lower-case base32 characters ("rrr4z55ocneqzikepnug6xezpe"). */
function newPredictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
}

const originOf = (request: FastifyRequest) => `${request.protocol}://${request.headers.host}`;

export const replicate: VendorSimulator = {
  vendor: 'replicate',
  title: 'Replicate',
  routes: (world) => replicateSimulator(world),
  account: () => ({ ...defaultReplicateAccount }),
  openCatalog: true,
  models: Object.keys(replicateModelTable),
};
