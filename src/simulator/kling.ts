/**
 * A faithful Kling: JWT checked like Kling (401 codes 1001–1004), bodies validated like Kling (400 code 1201),
 * tasks moving submitted → processing → succeed | failed, millisecond timestamps, codes for every fault, and
 * a POST to the task's callback_url on each status change.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify } from 'jose';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { answerGenericFault } from './faults.js';
import { firstProblem, originOf } from './requests.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { Fault, SimTask, SimWorld } from './world.js';
import { clipAsked } from './clips.js';

/*
 * Sources (K1/K3 in /work/shared/reference/vendors-kling-jimeng-vidu-seedance.md): Kling's API reference,
 * app.klingai.com/global/dev/document-api, "Text to Video" and "Image to Video" (copies: WHQ25/rawgenai
 * docs/research/kling/*.md, QuincyMillerDev/cooliomusic docs/KLINGAI_IMAGE_TO_VIDEO_API.md).
 */

type Endpoint = 'text2video' | 'image2video';

/** text2video model_name: kling-v1 (default) … kling-v2-6; kling-v1-5 and kling-v2-1 are image-to-video only. */
const textModels = [
  'kling-v1',
  'kling-v1-6',
  'kling-v2-master',
  'kling-v2-1-master',
  'kling-v2-5-turbo',
  'kling-v2-6',
];
const modelsByEndpoint: Record<Endpoint, readonly string[]> = {
  text2video: textModels,
  image2video: [...textModels, 'kling-v1-5', 'kling-v2-1'],
};

/** camera_control: `simple` needs config with exactly one non-zero move in [-10, 10]; the other types take none. */
const cameraMove = z.number().int().min(-10).max(10).optional();
const cameraControl = z
  .object({
    type: z.enum(['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward']),
    config: z
      .object({
        horizontal: cameraMove,
        vertical: cameraMove,
        pan: cameraMove,
        tilt: cameraMove,
        roll: cameraMove,
        zoom: cameraMove,
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((c) => (c.type === 'simple') === (c.config !== undefined), {
    message: 'config is required for type simple and not taken by the other types',
  })
  .refine((c) => !c.config || Object.values(c.config).filter((move) => move).length === 1, {
    message: 'config must move along exactly one axis',
  });

/** The fields both endpoints take. duration is a string ("5" | "10"); timestamps come back in milliseconds. */
const commonFields = {
  model_name: z.string().optional(),
  /** The older name of model_name, still accepted. */
  model: z.string().optional(),
  negative_prompt: z.string().max(2500).optional(),
  cfg_scale: z.number().min(0).max(1).optional(),
  mode: z.enum(['std', 'pro']).optional(),
  camera_control: cameraControl.optional(),
  duration: z.enum(['5', '10']).optional(),
  sound: z.enum(['on', 'off']).optional(),
  watermark_info: z.object({ enabled: z.boolean() }).strict().optional(),
  callback_url: z.string().url().optional(),
  external_task_id: z.string().max(256).optional(),
};

/** An image: a URL, or raw Base64 *without* the data: prefix (image2video, "image"). */
const klingImage = z
  .string()
  .min(1)
  .refine((value) => !value.startsWith('data:'), 'must be a URL or raw Base64 without the data: prefix');

const bodies = {
  text2video: z
    .object({
      ...commonFields,
      prompt: z.string().min(1, 'prompt is required').max(2500),
      aspect_ratio: z.enum(['16:9', '9:16', '1:1']).optional(),
    })
    .strict(),
  // No aspect_ratio: the video follows the image. image_tail, the masks and camera_control exclude each other.
  image2video: z
    .object({
      ...commonFields,
      prompt: z.string().max(2500).optional(),
      image: klingImage,
      image_tail: klingImage.optional(),
      static_mask: klingImage.optional(),
      dynamic_masks: z
        .array(
          z
            .object({
              mask: klingImage,
              trajectories: z
                .array(z.object({ x: z.number().int(), y: z.number().int() }).strict())
                .min(2)
                .max(77),
            })
            .strict(),
        )
        .max(6)
        .optional(),
    })
    .strict()
    .refine(
      (b) =>
        [b.image_tail, b.static_mask ?? b.dynamic_masks, b.camera_control].filter((v) => v !== undefined)
          .length <= 1,
      { message: 'image_tail, static_mask/dynamic_masks and camera_control cannot be combined' },
    ),
};
type KlingBody = z.infer<(typeof bodies)[Endpoint]>;

/** The task as Kling reports it (query answer, create answer and callback body). */
interface KlingTaskData {
  task_id: string;
  task_status: 'submitted' | 'processing' | 'succeed' | 'failed';
  task_status_msg: string;
  task_info: { external_task_id: string };
  task_result?: { videos: { id: string; url: string; duration: string }[] };
  created_at: number;
  updated_at: number;
}

export interface KlingAccount {
  access_key: string;
  secret_key: string;
}

export const defaultKlingAccount: KlingAccount = {
  access_key: 'sim-kling-access-key',
  secret_key: 'sim-kling-secret-key',
};

/** Kling keeps results for 30 days. */
const resultTtlMs = 30 * 24 * 3600 * 1000;

function klingError(reply: FastifyReply, status: number, code: number, message: string) {
  return reply.code(status).send({ code, message, request_id: randomUUID() });
}

/** Kling's answer to each scripted fault. */
function answerFault(reply: FastifyReply, fault: Fault) {
  switch (fault.type) {
    case 'http_error':
      return fault.status >= 500
        ? klingError(reply, fault.status, 5000, 'internal error')
        : klingError(reply, fault.status, 1200, 'invalid request');
    case 'rate_limit':
      return klingError(reply, 429, 1302, 'rate limit exceeded');
    case 'content_safety':
      return klingError(reply, 400, 1301, 'content security policy triggered');
    case 'auth_error':
      return klingError(reply, 401, 1002, 'Authorization is not valid');
    default:
      return null;
  }
}

export function klingSimulator(world: SimWorld, accounts: KlingAccount[] = [defaultKlingAccount]) {
  const secrets = new Map(accounts.map((a) => [a.access_key, a.secret_key]));
  const byExternalId = new Map<string, string>();
  const verified = new Map<string, { secret: string; exp: number; nbf: number }>();

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const header = request.headers.authorization;
    if (!header) {
      klingError(reply, 401, 1001, 'Authorization is empty');
      return false;
    }
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    const issuer = token ? decodeIssuer(token) : null;
    const secret = issuer ? secrets.get(issuer) : undefined;
    if (!token || !secret) {
      klingError(reply, 401, 1002, 'Authorization is not valid');
      return false;
    }
    // A token verified before is good while its own times say so (checked as jose would): clients reuse tokens,
    // and verifying each one again would make the simulator, not the gateway, the limit of a benchmark.
    const known = verified.get(token);
    const nowSeconds = Date.now() / 1000;
    if (known && known.secret === secret && nowSeconds < known.exp && nowSeconds >= known.nbf) return true;
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
        algorithms: ['HS256'],
        issuer: issuer!,
      });
      if (verified.size >= 10_000) verified.clear();
      verified.set(token, { secret, exp: payload.exp ?? Infinity, nbf: payload.nbf ?? -Infinity });
      return true;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) klingError(reply, 401, 1004, 'Authorization has expired');
      else if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf') {
        klingError(reply, 401, 1003, 'Authorization is not yet valid');
      } else klingError(reply, 401, 1002, 'Authorization is not valid');
      return false;
    }
  }

  function view(task: SimTask, origin: string): KlingTaskData {
    const stage = world.stage(task);
    const status = (
      { queued: 'submitted', running: 'processing', succeeded: 'succeed', failed: 'failed' } as const
    )[stage];
    const data: KlingTaskData = {
      task_id: task.id,
      task_status: status,
      task_status_msg: stage === 'failed' ? task.failReason! : '',
      task_info: { external_task_id: (task.request.external_task_id as string | undefined) ?? '' },
      created_at: task.createdAt,
      updated_at:
        stage === 'succeeded' || stage === 'failed' ? Math.round(world.finishedAt(task)) : Date.now(),
    };
    if (stage === 'succeeded') {
      task.request.resultPath ??= world.publishVideo(
        resultTtlMs,
        clipAsked(task.request, task.deliveredSeconds),
      );
      data.task_result = {
        videos: [
          {
            id: `${task.id}-0`,
            url: origin + String(task.request.resultPath),
            duration: String(task.deliveredSeconds ?? task.request.duration ?? '5'),
          },
        ],
      };
    }
    return data;
  }

  return async function plugin(app: FastifyInstance) {
    for (const endpoint of ['text2video', 'image2video'] as const) {
      app.post(`/v1/videos/${endpoint}`, async (request, reply) => {
        world.count('kling', 'submit');
        if (!(await authenticate(request, reply))) return reply;
        const fault = world.takeFault('kling', 'submit');
        if (fault && ((await answerGenericFault(request, reply, fault)) || answerFault(reply, fault)))
          return reply;

        const parsed = bodies[endpoint].safeParse(request.body);
        if (!parsed.success)
          return klingError(reply, 400, 1201, `invalid parameter ${firstProblem(parsed.error)}`);
        const body: KlingBody = parsed.data;
        const model = body.model_name ?? body.model ?? 'kling-v1';
        if (!modelsByEndpoint[endpoint].includes(model))
          return klingError(reply, 404, 1203, `model ${model} not found for ${endpoint}`);
        if (body.external_task_id && byExternalId.has(body.external_task_id)) {
          return klingError(reply, 400, 1201, 'external_task_id already exists');
        }
        const task = world.createTask('kling', { ...body, endpoint });
        if (body.external_task_id) byExternalId.set(body.external_task_id, task.id);
        const callbackUrl = body.callback_url;
        if (callbackUrl) {
          // Kling POSTs the task, flat (its callback protocol), to callback_url on each status change.
          const from = originOf(request);
          world.onStageChange(task, () => void world.callBack('kling', callbackUrl, view(task, from)));
        }
        const data = view(task, originOf(request));
        return reply.send({ code: 0, message: 'SUCCEED', request_id: randomUUID(), data });
      });

      // The path id is Kling's task_id or the client's external_task_id.
      app.get<{ Params: { id: string } }>(`/v1/videos/${endpoint}/:id`, async (request, reply) => {
        world.count('kling', 'poll');
        if (!(await authenticate(request, reply))) return reply;
        const fault = world.takeFault('kling', 'poll');
        if (fault && ((await answerGenericFault(request, reply, fault)) || answerFault(reply, fault)))
          return reply;
        const id = byExternalId.get(request.params.id) ?? request.params.id;
        const task = world.tasks.get(id);
        if (!task || task.vendor !== 'kling' || task.request.endpoint !== endpoint) {
          return klingError(reply, 404, 1203, 'task not found');
        }
        return reply.send({
          code: 0,
          message: 'SUCCEED',
          request_id: randomUUID(),
          data: view(task, originOf(request)),
        });
      });
    }
  };
}

function decodeIssuer(token: string): string | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      iss?: unknown;
    };
    return typeof payload.iss === 'string' ? payload.iss : null;
  } catch {
    return null;
  }
}

export const kling: VendorSimulator = {
  vendor: 'kling',
  title: 'Kling',
  routes: (world) => klingSimulator(world),
  account: () => ({ ...defaultKlingAccount }),
  models: [...new Set(Object.values(modelsByEndpoint).flat())],
  // The image-to-video-only models would refuse the demo's text prompts.
  demoModels: textModels,
};
