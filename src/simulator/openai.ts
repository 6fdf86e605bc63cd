/**
 * A faithful OpenAI Videos API (Sora): bearer API keys (401 invalid_api_key), bodies as JSON or multipart with
 * bracket keys like the official SDK sends, OpenAI's validation errors naming the param, videos moving
 * queued → in_progress → completed | failed, content served only to the account and only for an hour,
 * cursor lists, deletion and remix. Errors in OpenAI's shape: {error: {message, type, param, code}}.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { answerGenericFault } from './faults.js';
import { OpenAIRefusal, readOpenAIBody } from './openai-form.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { Fault, SimTask, SimWorld } from './world.js';
import { clipAsked, simulatedClip } from './clips.js';

/*
 * Sources: OpenAI's API reference for Videos (openai/openai-node api_reference/openapi.transformed.yml and
 * src/resources/videos.ts, read at v7.5.0; §1 of /work/shared/reference/vendors-openai-veo-hailuo-wan-runway-luma.md)
 * and the video generation guide (platform.openai.com/docs/guides/video-generation).
 */

/** VideoModel: sora-2 (the default), sora-2-pro and their dated snapshots. */
const videoModels = [
  'sora-2',
  'sora-2-pro',
  'sora-2-2025-10-06',
  'sora-2-pro-2025-10-06',
  'sora-2-2025-12-08',
];
/** VideoSeconds, strings: '4' (the default), '8', '12'. */
const videoSeconds = ['4', '8', '12'];
/** VideoSize: '720x1280' (the default) and the three others. */
const videoSizes = ['720x1280', '1280x720', '1024x1792', '1792x1024'];

/** VideoCreateParams; input_reference as an object is {image_url} or {file_id} (or a file, in multipart). */
const createBody = z
  .object({
    prompt: z.string().min(1).max(32_000),
    model: z.string().min(1).optional(),
    seconds: z.string().optional(),
    size: z.string().optional(),
    input_reference: z
      .object({ image_url: z.string().min(1).optional(), file_id: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict();

/** VideoRemixParams: a prompt only. */
const remixBody = z.object({ prompt: z.string().min(1).max(32_000) }).strict();

/** The Video object: every key always present, nullable ones as null. */
interface Video {
  id: string;
  object: 'video';
  model: string;
  status: 'queued' | 'in_progress' | 'completed' | 'failed';
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  prompt: string | null;
  size: string;
  seconds: string;
  remixed_from_video_id: string | null;
  error: { code: string; message: string } | null;
}

export interface OpenAIAccount {
  api_key: string;
}

export const defaultOpenAIAccount: OpenAIAccount = { api_key: 'sk-sim-openai-0123456789abcdef' };

/** "Download URLs are valid for up to one hour after generation" (OpenAI's video guide). */
const contentTtlMs = 3600 * 1000;
const thumbnail = readFileSync(new URL('./assets/cover.webp', import.meta.url));
const spritesheet = readFileSync(new URL('./assets/cover.jpg', import.meta.url));
const imageTypes = ['image/jpeg', 'image/png', 'image/webp'];

function openaiError(
  reply: FastifyReply,
  status: number,
  message: string,
  param: string | null = null,
  code: string | null = null,
  type = 'invalid_request_error',
) {
  return reply.code(status).send({ error: { message, type, param, code } });
}

/** OpenAI's answer to each scripted fault. */
function answerFault(reply: FastifyReply, fault: Fault) {
  switch (fault.type) {
    case 'http_error':
      return fault.status >= 500
        ? openaiError(
            reply,
            fault.status,
            'The server had an error while processing your request. Sorry about that!',
            null,
            null,
            'server_error',
          )
        : openaiError(reply, fault.status, 'Invalid request');
    case 'rate_limit':
      return openaiError(
        reply.header('retry-after', '1'),
        429,
        'Rate limit reached for requests',
        null,
        'rate_limit_exceeded',
        'requests',
      );
    case 'content_safety':
      return openaiError(
        reply,
        400,
        'Your request was blocked by our moderation system.',
        null,
        'moderation_blocked',
      );
    case 'auth_error':
      return openaiError(reply, 401, 'Incorrect API key provided.', null, 'invalid_api_key');
    default:
      return null;
  }
}

/** Checks a value against one of OpenAI's enums, as OpenAI words the refusal. */
function invalidValue(value: string, supported: readonly string[]): string | null {
  if (supported.includes(value)) return null;
  return `Invalid value: '${value}'. Supported values are: ${supported.map((v) => `'${v}'`).join(', ')}.`;
}

export function openaiSimulator(world: SimWorld, accounts: OpenAIAccount[] = [defaultOpenAIAccount]) {
  const keys = new Set(accounts.map((a) => a.api_key));

  function authenticate(request: FastifyRequest, reply: FastifyReply): boolean {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token) {
      openaiError(
        reply,
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
      );
      return false;
    }
    if (!keys.has(token)) {
      openaiError(
        reply,
        401,
        `Incorrect API key provided: ${token.slice(0, 3)}***${token.slice(-4)}.`,
        null,
        'invalid_api_key',
      );
      return false;
    }
    return true;
  }

  /** Auth, then the next scripted fault for the phase; false when the request has been answered. */
  async function admit(
    request: FastifyRequest,
    reply: FastifyReply,
    phase: 'submit' | 'poll',
  ): Promise<boolean> {
    world.count('openai', phase);
    if (!authenticate(request, reply)) return false;
    const fault = world.takeFault('openai', phase);
    return !(fault && ((await answerGenericFault(request, reply, fault)) || answerFault(reply, fault)));
  }

  function view(task: SimTask): Video {
    const stage = world.stage(task);
    const done = stage === 'succeeded' || stage === 'failed';
    const completedAt = done ? Math.floor(world.finishedAt(task) / 1000) : null;
    if (stage === 'succeeded')
      task.request.contentPath ??= world.publishVideo(
        contentTtlMs,
        clipAsked(task.request, task.deliveredSeconds),
      );
    return {
      id: task.id,
      object: 'video',
      model: String(task.request.model),
      status: (
        { queued: 'queued', running: 'in_progress', succeeded: 'completed', failed: 'failed' } as const
      )[stage],
      progress: stage === 'queued' ? 0 : done ? 100 : world.progress(task),
      created_at: Math.floor(task.createdAt / 1000),
      completed_at: completedAt,
      expires_at: stage === 'succeeded' ? completedAt! + contentTtlMs / 1000 : null,
      prompt: String(task.request.prompt),
      size: String(task.request.size),
      seconds: String(task.request.seconds),
      remixed_from_video_id: (task.request.remixedFrom as string | undefined) ?? null,
      // [UNVERIFIED] the code OpenAI gives a failed generation.
      error: stage === 'failed' ? { code: 'video_generation_failed', message: task.failReason! } : null,
    };
  }

  /** The account's video by id; deleted ones are gone. */
  function findVideo(id: string): SimTask | undefined {
    const task = world.tasks.get(id);
    return task && task.vendor === 'openai' && !task.request.deleted ? task : undefined;
  }

  function notFound(reply: FastifyReply, id: string) {
    return openaiError(reply, 404, `Video with id '${id}' not found.`, null, null);
  }

  function createVideo(request: Record<string, unknown>): SimTask {
    return world.createTask('openai', request, `video_${randomBytes(24).toString('hex')}`);
  }

  return async function plugin(app: FastifyInstance) {
    await app.register(multipart, {
      limits: { fileSize: 20 * 1024 * 1024, fieldSize: 30 * 1024 * 1024, files: 1 },
    });
    // Malformed bodies and multipart limits, in OpenAI's shape.
    app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
      const status = error.statusCode ?? 500;
      const refusal = error instanceof OpenAIRefusal ? error : null;
      return openaiError(
        reply,
        status,
        error.message,
        refusal?.param ?? null,
        refusal?.code ?? null,
        status >= 500 ? 'server_error' : 'invalid_request_error',
      );
    });

    app.post('/v1/videos', async (request, reply) => {
      if (!(await admit(request, reply, 'submit'))) return reply;
      const { fields, file } = await readOpenAIBody(request);
      const parsed = createBody.safeParse(fields);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        if (issue.code === 'unrecognized_keys') {
          return openaiError(
            reply,
            400,
            `Unknown parameter: '${issue.keys[0]}'.`,
            issue.keys[0]!,
            'unknown_parameter',
          );
        }
        const param = issue.path.join('.') || null;
        return openaiError(
          reply,
          400,
          `Invalid '${param}': ${issue.message}`,
          param,
          issue.code === 'invalid_type' && issue.input === undefined
            ? 'missing_required_parameter'
            : 'invalid_value',
        );
      }
      const body = parsed.data;
      const model = body.model ?? 'sora-2';
      const seconds = body.seconds ?? '4';
      const size = body.size ?? '720x1280';
      for (const [param, value, supported] of [
        ['model', model, videoModels],
        ['seconds', seconds, videoSeconds],
        ['size', size, videoSizes],
      ] as const) {
        const problem = invalidValue(value, supported);
        if (problem) return openaiError(reply, 400, problem, param, 'invalid_value');
      }
      if (file && (file.fieldname !== 'input_reference' || !imageTypes.includes(file.mimeType))) {
        return openaiError(
          reply,
          400,
          `Invalid file '${file.fieldname}': expected image/jpeg, image/png or image/webp.`,
          file.fieldname,
          'invalid_value',
        );
      }
      const reference = body.input_reference;
      if (reference && (reference.image_url === undefined) === (reference.file_id === undefined)) {
        return openaiError(
          reply,
          400,
          'input_reference must have exactly one of image_url or file_id.',
          'input_reference',
          'invalid_value',
        );
      }
      const inputReference = file
        ? `file:${file.mimeType}:${file.bytes}`
        : (reference?.image_url ?? reference?.file_id ?? null);
      return view(createVideo({ model, prompt: body.prompt, seconds, size, inputReference }));
    });

    app.get<{ Params: { id: string } }>('/v1/videos/:id', async (request, reply) => {
      if (!(await admit(request, reply, 'poll'))) return reply;
      const task = findVideo(request.params.id);
      return task ? view(task) : notFound(reply, request.params.id);
    });

    app.get<{ Querystring: { after?: string; limit?: string; order?: string } }>(
      '/v1/videos',
      async (request, reply) => {
        if (!authenticate(request, reply)) return reply;
        const limit = Number(request.query.limit ?? 20);
        if (!Number.isInteger(limit) || limit < 0 || limit > 100)
          return openaiError(
            reply,
            400,
            'limit must be an integer between 0 and 100',
            'limit',
            'invalid_value',
          );
        const order = request.query.order ?? 'desc';
        if (order !== 'asc' && order !== 'desc')
          return openaiError(reply, 400, invalidValue(order, ['asc', 'desc'])!, 'order', 'invalid_value');
        let videos = [...world.tasks.values()].filter((t) => t.vendor === 'openai' && !t.request.deleted);
        if (order === 'desc') videos.reverse();
        if (request.query.after) {
          const at = videos.findIndex((t) => t.id === request.query.after);
          if (at === -1) return notFound(reply, request.query.after);
          videos = videos.slice(at + 1);
        }
        const data = videos.slice(0, limit).map(view);
        return {
          object: 'list',
          data,
          first_id: data[0]?.id ?? null,
          last_id: data.at(-1)?.id ?? null,
          has_more: videos.length > limit,
        };
      },
    );

    app.delete<{ Params: { id: string } }>('/v1/videos/:id', async (request, reply) => {
      if (!authenticate(request, reply)) return reply;
      const task = findVideo(request.params.id);
      if (!task) return notFound(reply, request.params.id);
      // [UNVERIFIED] OpenAI documents deleting "a completed or failed video"; an unfinished one is refused here.
      const stage = world.stage(task);
      if (stage === 'queued' || stage === 'running')
        return openaiError(
          reply,
          400,
          'Only completed or failed videos can be deleted.',
          null,
          'invalid_value',
        );
      task.request.deleted = true;
      return { id: task.id, object: 'video.deleted', deleted: true };
    });

    app.get<{ Params: { id: string }; Querystring: { variant?: string } }>(
      '/v1/videos/:id/content',
      async (request, reply) => {
        world.count('openai', 'content');
        if (!authenticate(request, reply)) return reply;
        const task = findVideo(request.params.id);
        if (!task) return notFound(reply, request.params.id);
        const variant = request.query.variant ?? 'video';
        const problem = invalidValue(variant, ['video', 'thumbnail', 'spritesheet']);
        if (problem) return openaiError(reply, 400, problem, 'variant', 'invalid_value');
        if (view(task).status !== 'completed') {
          return openaiError(
            reply,
            404,
            `Video is not ready yet, use GET /v1/videos/${task.id} to check its status.`,
          );
        }
        if (!world.fileIsLive(publishedName(String(task.request.contentPath)))) {
          return openaiError(reply, 404, `The content of video ${task.id} has expired.`);
        }
        const [type, bytes] =
          variant === 'video'
            ? ['video/mp4', simulatedClip(clipAsked(task.request, task.deliveredSeconds))]
            : variant === 'thumbnail'
              ? ['image/webp', thumbnail]
              : ['image/jpeg', spritesheet];
        return reply.header('content-type', type).send(bytes);
      },
    );

    app.post<{ Params: { id: string } }>('/v1/videos/:id/remix', async (request, reply) => {
      if (!(await admit(request, reply, 'submit'))) return reply;
      const source = findVideo(request.params.id);
      if (!source) return notFound(reply, request.params.id);
      const parsed = remixBody.safeParse((await readOpenAIBody(request)).fields);
      if (!parsed.success)
        return openaiError(
          reply,
          400,
          "Invalid 'prompt': a prompt of 1 to 32000 characters is required.",
          'prompt',
          'invalid_value',
        );
      // [UNVERIFIED] the refusal for a source that has not completed.
      if (view(source).status !== 'completed')
        return openaiError(reply, 400, 'Only completed videos can be remixed.', null, 'invalid_value');
      const { model, seconds, size } = source.request;
      return view(createVideo({ model, prompt: parsed.data.prompt, seconds, size, remixedFrom: source.id }));
    });
  };
}

/** The name under which SimWorld tracks a published file ("/files/<name>.mp4"), for its expiry. */
function publishedName(path: string): string {
  return path.replace(/^\/files\/(.*)\.mp4$/, '$1');
}

export const openai: VendorSimulator = {
  vendor: 'openai',
  title: 'OpenAI',
  routes: (world) => openaiSimulator(world),
  basePath: '/v1',
  account: () => ({ ...defaultOpenAIAccount }),
  models: videoModels,
  demoModels: ['sora-2', 'sora-2-pro'],
};
