/**
 * The OpenAI-compatible surface: /v1/videos (create, retrieve, list, delete, content, remix) in the shapes of
 * OpenAI's Videos API, so the official SDKs work against Reelay. Errors render in OpenAI's shape (http/errors.ts).
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  InvalidRequestError,
  NotFoundError,
  PermissionError,
  ServiceUnavailableError,
} from '../../errors.js';
import {
  contentQuerySchema,
  createSchema,
  inOpenAITerms,
  listQuerySchema,
  parseOpenAICreate,
  parseOpenAIRemix,
  parseWith,
  remixSchema,
} from './request.js';
import { openaiVideoSchema, openaiVideoView } from './view.js';
import { z } from 'zod';
import { apiDoc, jsonBodyErrors } from '../openapi/route-doc.js';
import type { VideoRequest } from '../../tasks/video-request.js';
import { leadJob } from '../../tasks/task.js';
import type { Gateway } from '../../gateway.js';
import type { TaskWithJobs } from '../../store/tasks.js';
import { afterPreferredWait } from '../prefer-wait.js';
import { taskEventStreams } from '../task-events.js';
import { idempotencyOf } from '../idempotency.js';
import { multipartLimits, readBody } from './form-body.js';

type VideoParams = { Params: { video_id: string } };

const contentRoute = '/v1/videos/:video_id/content';

const videoParams = z.object({ video_id: z.string().meta({ description: 'The video id (a task id).' }) });
const oneVideo = { 200: { description: 'The video', schema: openaiVideoSchema } };
/** What every route on one video shares in the document. */
const onVideo = { tag: 'videos', security: 'apiKey', params: videoParams, errors: [404] } as const;
const formOrJson = ['application/json', 'multipart/form-data'];

const videoListSchema = z.object({
  object: z.literal('list'),
  data: z.array(openaiVideoSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});

const deletedSchema = z.object({
  id: z.string(),
  object: z.literal('video.deleted'),
  deleted: z.literal(true),
});

/** A request to the content route carrying a signed link's signature: it needs no API key. */
function isSignedContentRequest(request: FastifyRequest): boolean {
  return (
    request.routeOptions.url === contentRoute &&
    typeof (request.query as Record<string, unknown>).signature === 'string'
  );
}

export function openaiVideos(gateway: Gateway) {
  const { channels, content } = gateway.deps;
  const { tasks } = gateway;

  /**
   * The caller's task; someone else's, a deleted one and a missing one all look the same. `fresh` reads past the
   * ended-task cache (content: a copy into storage may have landed since).
   */
  async function ownVideo(
    request: FastifyRequest,
    videoId: string,
    { fresh = false } = {},
  ): Promise<TaskWithJobs> {
    const found = await tasks.findOwn(videoId, request.caller.userId, { fresh });
    if (!found)
      throw new NotFoundError(
        `Video with id '${videoId.slice(0, 100)}' not found.`,
        'video_id',
        'video_not_found',
      );
    return found;
  }

  /** The task a signed content link names, when the link is genuine and still valid. */
  async function signedVideo(
    videoId: string,
    query: { index?: number; variant: 'video' | 'thumbnail'; expires?: number; signature?: string },
  ) {
    const { expires, signature } = query;
    const params = {
      taskId: videoId,
      index: query.index ?? 0,
      variant: query.variant,
      expires: expires ?? 0,
    };
    if (expires === undefined || signature === undefined || !gateway.links.verify(params, signature)) {
      throw new PermissionError('This content link is not valid', 'signature', 'invalid_signature');
    }
    if (Date.now() / 1000 > expires) {
      throw new PermissionError(
        'This content link has expired; fetch the task again for a fresh one',
        'expires',
        'link_expired',
      );
    }
    const found = await tasks.findAny(videoId);
    if (!found)
      throw new NotFoundError(`Video with id '${videoId}' not found.`, 'video_id', 'video_not_found');
    return found;
  }

  return async function plugin(app: FastifyInstance) {
    await app.register(multipart, { limits: multipartLimits(gateway.config.BODY_LIMIT_BYTES) });

    app.addHook('onRequest', async (request, reply) => {
      // Every OpenAI answer names its request (the SDK shows it as _request_id).
      reply.header('x-request-id', request.id);
      if (isSignedContentRequest(request)) return;
      request.caller = await gateway.apiKeys.authenticate(request);
    });

    const { config } = gateway;
    const waiting = { intervalMs: config.TASK_WATCH_INTERVAL_MS, maxSeconds: config.PREFER_WAIT_MAX_SECONDS };
    const events = taskEventStreams(app, tasks, {
      intervalMs: config.TASK_WATCH_INTERVAL_MS,
      heartbeatMs: config.EVENT_STREAM_HEARTBEAT_MS,
    });

    const createDoc = {
      summary: 'Create a video (OpenAI’s videos.create)',
      description:
        'JSON or a multipart form (input_reference as a file). `Prefer: wait=N` holds the answer until the video is done or N seconds pass.',
      tag: 'videos',
      security: 'apiKey',
      body: {
        schema: createSchema,
        contentTypes: formOrJson,
        examples: {
          sora: {
            summary: 'Text to video',
            value: { model: 'sora-2', prompt: 'A calico cat on a piano', seconds: '8', size: '1280x720' },
          },
        },
      },
      responses: oneVideo,
      errors: [403, 404, 409, 502, 503, ...jsonBodyErrors],
    } as const;
    app.post('/v1/videos', apiDoc(createDoc), async (request, reply) => {
      try {
        const { fields, file } = await readBody(request, gateway.config.BODY_LIMIT_BYTES);
        const videoRequest = parseOpenAICreate(fields, file, gateway.webhookTargets);
        const idempotency = idempotencyOf(request, videoRequest);
        const task = await tasks.submit(request.caller, videoRequest, { idempotency, surface: 'openai' });
        return openaiVideoView(await afterPreferredWait(request, reply, tasks, task, waiting));
      } catch (err) {
        throw inOpenAITerms(err);
      }
    });

    const listDoc = {
      summary: "The caller's videos (OpenAI's videos.list)",
      tag: 'videos',
      security: 'apiKey',
      query: listQuerySchema,
      responses: { 200: { description: 'A page of videos', schema: videoListSchema } },
    } as const;
    app.get('/v1/videos', apiDoc(listDoc), async (request) => {
      const query = parseWith(listQuerySchema, request.query);
      const page = await tasks.listOwn({
        userId: request.caller.userId,
        after: query.after ?? null,
        limit: query.limit,
        order: query.order,
      });
      if (page.kind === 'unknown_cursor')
        throw new InvalidRequestError(`after: no video with id '${query.after}'`, 'after');
      const data = page.tasks.map(openaiVideoView);
      return {
        object: 'list',
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: page.hasMore,
      };
    });

    const retrieveDoc = { ...onVideo, summary: "A video (OpenAI's videos.retrieve)", responses: oneVideo };
    app.get<VideoParams>('/v1/videos/:video_id', apiDoc(retrieveDoc), async (request, reply) => {
      const owned = await ownVideo(request, request.params.video_id);
      const found = await afterPreferredWait(request, reply, tasks, owned, waiting);
      const json = tasks.serialize(found, 'openai', openaiVideoView);
      return reply.type('application/json; charset=utf-8').send(json);
    });

    const eventsDoc = {
      ...onVideo,
      summary: "A video's progress as server-sent events",
      description:
        '`event: status` with the video each time it moves forward, `event: done` once it has ended.',
      responses: { 200: { description: 'An event stream', contentType: 'text/event-stream' } },
    };
    app.get<VideoParams>('/v1/videos/:video_id/events', apiDoc(eventsDoc), async (request, reply) => {
      const { task } = await ownVideo(request, request.params.video_id);
      await events.stream(request, reply, task.id, openaiVideoView);
    });

    const cancelDoc = {
      ...onVideo,
      summary: 'Cancel a video still being generated (refunded)',
      description:
        '409 `cancel_not_possible` where the vendor cannot stop it (the video goes on); 503 `cancel_unavailable` when the vendor could not be asked just now.',
      responses: oneVideo,
      errors: [404, 409, 502, 503],
    };
    app.post<VideoParams>('/v1/videos/:video_id/cancel', apiDoc(cancelDoc), async (request) => {
      const found = await ownVideo(request, request.params.video_id);
      return openaiVideoView(await tasks.cancelOwn(found, request.caller.userId));
    });

    const deleteDoc = {
      ...onVideo,
      summary: "Delete a finished video and its content (OpenAI's videos.delete)",
      responses: { 200: { description: 'Deleted', schema: deletedSchema } },
    };
    app.delete<VideoParams>('/v1/videos/:video_id', apiDoc(deleteDoc), async (request) => {
      const found = await ownVideo(request, request.params.video_id);
      const { task } = found;
      if (task.status === 'processing') {
        throw new InvalidRequestError(
          'Only a completed or failed video can be deleted; this one is still being generated',
          'video_id',
          'video_not_finished',
        );
      }
      if (!(await tasks.deleteOwn(found, request.caller.userId))) {
        throw new NotFoundError(`Video with id '${task.id}' not found.`, 'video_id', 'video_not_found');
      }
      return { id: task.id, object: 'video.deleted', deleted: true };
    });

    const contentDoc = {
      ...onVideo,
      summary: "A video's bytes or thumbnail (OpenAI's videos.downloadContent)",
      description:
        'With an API key, or with no credential through a signed link (`expires` and `signature`, as the generations surface’s `url` gives it). Range requests are answered 206.',
      security: 'apiKeyOrSignedLink',
      query: contentQuerySchema,
      responses: {
        200: { description: 'The video or its thumbnail', contentType: ['video/mp4', 'image/*'] },
        206: { description: 'The requested range', contentType: ['video/mp4', 'image/*'] },
        416: { description: 'Range not satisfiable (Content-Range: bytes */size); no body' },
      },
      errors: [403, 404, 502],
    } as const;
    app.get<VideoParams>(contentRoute, apiDoc(contentDoc), async (request, reply) => {
      const query = parseWith(contentQuerySchema, request.query);
      const variant = query.variant;
      if (variant === 'spritesheet') {
        throw new InvalidRequestError(
          'variant spritesheet is not available: Reelay serves video and thumbnail',
          'variant',
        );
      }
      const videoId = request.params.video_id;
      const { task, jobs } =
        query.signature !== undefined
          ? await signedVideo(videoId, { ...query, variant })
          : await ownVideo(request, videoId, { fresh: true });
      if (task.status !== 'succeeded') {
        throw new NotFoundError(
          task.status === 'failed'
            ? 'This video failed to generate; it has no content'
            : `Video is not ready yet, use GET /v1/videos/${task.id} to check its status.`,
          'video_id',
          'video_not_ready',
        );
      }
      const job = query.index === undefined ? leadJob(jobs) : jobs.find((j) => j.position === query.index);
      if (job?.state !== 'succeeded')
        throw new NotFoundError(`Video ${task.id} has no finished video at index ${query.index}`, 'index');
      // A signed link's own expiry bounds a redirect to the object store.
      const linkExpiresAt = query.signature !== undefined ? query.expires : undefined;
      const stream = await content.open(job, variant, request.headers.range, linkExpiresAt);
      return reply
        .code(stream.status)
        .headers(stream.headers)
        .send(stream.body ?? '');
    });

    const remixDoc = {
      ...onVideo,
      summary: "A new video from a finished one with a new prompt (OpenAI's videos.remix)",
      body: { schema: remixSchema, contentTypes: formOrJson },
      responses: oneVideo,
      errors: [403, 404, 409, 502, 503, ...jsonBodyErrors],
    };
    app.post<VideoParams>('/v1/videos/:video_id/remix', apiDoc(remixDoc), async (request) => {
      const { fields, file } = await readBody(request, gateway.config.BODY_LIMIT_BYTES);
      if (file) throw new InvalidRequestError('A remix takes no file: send the prompt only', file.fieldname);
      const { prompt } = parseOpenAIRemix(fields);
      const source = await ownVideo(request, request.params.video_id);
      if (source.task.status !== 'succeeded') {
        throw new InvalidRequestError(
          'Only a completed video can be remixed',
          'video_id',
          'video_not_completed',
        );
      }
      const job = leadJob(source.jobs);
      const channel = job.channel_id ? await channels.get(job.channel_id) : undefined;
      if (!channel || !job.upstream_task_id) {
        throw new InvalidRequestError(
          'This video cannot be remixed: the channel that made it no longer exists',
          'video_id',
          'remix_not_supported',
        );
      }
      if (!channel.enabled)
        throw new ServiceUnavailableError('The channel that made this video is disabled; try again later');
      const sourceRequest = JSON.parse(source.task.request) as VideoRequest;
      // A remix starts from the video itself: same model, length and size; a new prompt, nothing else carried over.
      const remix: VideoRequest = {
        ...sourceRequest,
        prompt,
        image: null,
        metadata: {},
        n: 1,
        callbackUrl: null,
        remix: { sourceTaskId: source.task.id, channelId: channel.id, upstreamTaskId: job.upstream_task_id },
      };
      const task = await tasks.submit(request.caller, remix, { surface: 'openai' });
      return openaiVideoView(task);
    });
  };
}
