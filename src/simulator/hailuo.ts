/**
 * A faithful MiniMax Hailuo video API, written from MiniMax's documentation (platform.minimax.io/docs):
 * - the video generation guide (as MiniMax's resellers mirror it): POST /v1/video_generation {model, prompt, first_frame_image,
 *   last_frame_image, duration, resolution, prompt_optimizer, fast_pretreatment, aigc_watermark, callback_url} →
 *   {task_id, base_resp}; durations 6 or 10 (10 not at 1080P), resolutions 512P (02, from an image), 768P, 1080P;
 *   the 01 series 720P and 6 s; images a URL or a data URL.
 * - api-reference/video-generation-query: GET /v1/query/video_generation?task_id= → {task_id, status, file_id,
 *   video_width, video_height, base_resp}; status Preparing, Queueing, Processing, Success, Fail.
 * - the File Management API: GET /v1/files/retrieve?file_id= → {file: {file_id (a number), bytes,
 *   created_at, filename, purpose, download_url}, base_resp}; download URLs last 9 hours.
 * - callback_url: first a POST {challenge} that must be echoed within 3 s, then the query body on each change with
 *   status processing / success / failed.
 * - Every business error is HTTP 200 with base_resp.status_code: 1002 rate limit, 1004 authentication, 1008 balance,
 *   1026 sensitive input, 1027 sensitive output, 2013 invalid parameters
 *   (as MiniMax's API clients read them; 1027 [unverified]).
 * - [unverified] the answer for a task or file id MiniMax does not know: 2013 here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, randomInt } from 'node:crypto';
import { request as httpRequest } from 'undici';
import { bearerKey, originOf, resultPath, turnedAway, type VendorGate } from './gate.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { Fault, SimTask, SimWorld } from './world.js';

export const defaultHailuoAccount = { api_key: 'sim-hailuo-api-key' };
/** A key MiniMax knows on an account without balance: every create answers 1008. */
export const brokeHailuoAccount = { api_key: 'sim-hailuo-broke-key' };

const downloadTtlMs = 9 * 3600 * 1000;
const handshakeTimeoutMs = 3_000;

/** Each model's resolutions from text and from a first frame, and those that render 10 s, as MiniMax lists them. */
interface ModelSpec {
  fromText: string[];
  fromImage: string[];
  firstAndLast: string[];
  tenSeconds: string[];
}
const series01 = (text: boolean): ModelSpec => ({
  fromText: text ? ['720P'] : [],
  fromImage: text ? [] : ['720P'],
  firstAndLast: [],
  tenSeconds: [],
});
const models: Record<string, ModelSpec> = {
  'MiniMax-Hailuo-2.3': {
    fromText: ['768P', '1080P'],
    fromImage: ['768P', '1080P'],
    firstAndLast: [],
    tenSeconds: ['768P'],
  },
  'MiniMax-Hailuo-02': {
    fromText: ['768P', '1080P'],
    fromImage: ['512P', '768P', '1080P'],
    firstAndLast: ['768P', '1080P'],
    tenSeconds: ['512P', '768P'],
  },
  'T2V-01': series01(true),
  'T2V-01-Director': series01(true),
  'I2V-01': series01(false),
  'I2V-01-Director': series01(false),
};
const knownFields = new Set([
  'model',
  'prompt',
  'first_frame_image',
  'last_frame_image',
  'subject_reference',
  'duration',
  'resolution',
  'prompt_optimizer',
  'fast_pretreatment',
  'aigc_watermark',
  'callback_url',
]);

const baseResp = (status_code: number, status_msg: string) => ({ base_resp: { status_code, status_msg } });
const ok = baseResp(0, 'success');

/** MiniMax's business errors: HTTP 200, the reason in base_resp. */
const refuse = (reply: FastifyReply, code: number, message: string) =>
  reply.code(200).send(baseResp(code, message));
const invalid = (message: string) => ({ code: 2013, message: `invalid params, ${message}` });

/** MiniMax's checks of a create body: the problem, or the body with MiniMax's defaults filled in. */
function checkBody(
  raw: unknown,
): { problem: { code: number; message: string } } | { body: Record<string, unknown> } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { problem: invalid('body must be a JSON object') };
  const body = raw as Record<string, unknown>;
  const unknown = Object.keys(body).find((key) => !knownFields.has(key));
  if (unknown) return { problem: invalid(`unknown field ${unknown}`) };
  const model =
    typeof body.model === 'string' && Object.hasOwn(models, body.model) ? models[body.model]! : null;
  if (!model) return { problem: invalid(`model ${String(body.model)} is not supported`) };
  if (typeof body.prompt === 'string' && body.prompt.length > 2000)
    return { problem: invalid('prompt exceeds 2000 characters') };
  const image = /^(https?:\/\/\S+|data:image\/(jpeg|jpg|png|webp);base64,[A-Za-z0-9+/]+={0,2})$/;
  for (const field of ['first_frame_image', 'last_frame_image']) {
    if (body[field] !== undefined && (typeof body[field] !== 'string' || !image.test(body[field])))
      return { problem: invalid(`${field} must be a URL or a data URL of a JPG, PNG or WebP image`) };
  }
  const fromImage = body.first_frame_image !== undefined;
  if (body.last_frame_image !== undefined && !fromImage)
    return { problem: invalid('last_frame_image needs first_frame_image') };
  const allowed =
    body.last_frame_image !== undefined ? model.firstAndLast : fromImage ? model.fromImage : model.fromText;
  if (allowed.length === 0)
    return {
      problem: invalid(
        fromImage
          ? `${String(body.model)} does not take these images`
          : `${String(body.model)} needs first_frame_image`,
      ),
    };
  if (!fromImage && typeof body.prompt !== 'string') return { problem: invalid('prompt is required') };
  const resolution = body.resolution ?? (allowed.includes('768P') ? '768P' : allowed[0]);
  if (typeof resolution !== 'string' || !allowed.includes(resolution))
    return { problem: invalid(`resolution ${String(resolution)} is not supported by ${String(body.model)}`) };
  const duration = body.duration ?? 6;
  const durations = model.tenSeconds.includes(resolution) ? [6, 10] : [6];
  if (typeof duration !== 'number' || !durations.includes(duration))
    return { problem: invalid(`duration ${String(duration)} is not supported at ${resolution}`) };
  if (body.fast_pretreatment !== undefined && !String(body.model).startsWith('MiniMax-Hailuo'))
    return { problem: invalid('fast_pretreatment is not supported by this model') };
  return { body: { ...body, resolution, duration } };
}

/** MiniMax's answer to each scripted fault (a 5xx comes from the gateway in front: HTTP status, no base_resp). */
function answerFault(reply: FastifyReply, fault: Fault): boolean {
  switch (fault.type) {
    case 'http_error':
      if (fault.status >= 500) reply.code(fault.status).send('<html><body>502 Bad Gateway</body></html>');
      else refuse(reply, 2013, 'invalid params');
      return true;
    case 'rate_limit':
      refuse(reply, 1002, 'rate limit exceeded(RPM)');
      return true;
    case 'content_safety':
      refuse(reply, 1026, 'input new_sensitive');
      return true;
    case 'auth_error':
      refuse(reply, 1004, 'login fail: Please carry the API secret key in the Authorization field');
      return true;
    default:
      return false;
  }
}

/** A 15-digit id, as MiniMax's task and file ids are (they fit a JSON number exactly). */
const newId = () =>
  String(randomInt(1_000_000, 9_999_999)) + String(randomInt(0, 100_000_000)).padStart(8, '0');

/** MiniMax's status for the world's stage: the queued stage is split, Preparing first, then Queueing. */
function statusOf(world: SimWorld, task: SimTask): string {
  const stage = world.stage(task);
  if (stage === 'queued') return world.progress(task) < 10 ? 'Preparing' : 'Queueing';
  return ({ running: 'Processing', succeeded: 'Success', failed: 'Fail' } as const)[stage];
}

/** A `task_fails` reason naming a status code ("1027") fails with it; any other with an internal error. */
const failureOf = (task: SimTask) =>
  /^\d+$/.test(task.failReason!)
    ? baseResp(Number(task.failReason), 'output new_sensitive')
    : baseResp(1013, task.failReason!);

export function hailuoSimulator(
  world: SimWorld,
  keys = [defaultHailuoAccount.api_key, brokeHailuoAccount.api_key],
) {
  const accepted = new Set(keys);
  /** Results by file id: the task whose video the file is. */
  const files = new Map<string, SimTask>();

  const gate: VendorGate = {
    vendor: 'hailuo',
    refuseCredentials(request, reply) {
      const key = bearerKey(request);
      if (key && accepted.has(key)) return false;
      refuse(reply, 1004, 'login fail: Please carry the API secret key in the Authorization field');
      return true;
    },
    answerFault,
  };

  function query(task: SimTask) {
    const status = statusOf(world, task);
    if (status === 'Success') {
      task.request.fileId ??= newId();
      files.set(String(task.request.fileId), task);
      const resolution = String((task.request.body as Record<string, unknown>).resolution);
      const height = Number.parseInt(resolution, 10);
      return {
        task_id: task.id,
        status,
        file_id: String(task.request.fileId),
        video_width: Math.round((height * 16) / 9 / 2) * 2,
        video_height: height,
        ...ok,
      };
    }
    if (status === 'Fail') return { task_id: task.id, status, file_id: '', ...failureOf(task) };
    return { task_id: task.id, status, file_id: '', ...ok };
  }

  /** Verifies the callback URL (the challenge must come back within 3 s), then reports each status change. */
  async function callBack(task: SimTask, url: string) {
    const challenge = randomBytes(16).toString('hex');
    world.count('hailuo', 'handshake');
    const echoed = await httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challenge }),
      headersTimeout: handshakeTimeoutMs,
      bodyTimeout: handshakeTimeoutMs,
    })
      .then((res) => res.body.json() as Promise<{ challenge?: unknown }>)
      .catch(() => null);
    if (echoed?.challenge !== challenge) return;
    world.onStageChange(task, () => {
      const { status, ...rest } = query(task);
      const word = status === 'Success' ? 'success' : status === 'Fail' ? 'failed' : 'processing';
      void world.callBack('hailuo', url, { ...rest, status: word });
    });
  }

  return async function plugin(app: FastifyInstance) {
    app.post('/v1/video_generation', async (request, reply) => {
      if (await turnedAway(world, gate, 'submit', request, reply)) return reply;
      if (bearerKey(request) === brokeHailuoAccount.api_key)
        return refuse(reply, 1008, 'insufficient balance');
      const checked = checkBody(request.body);
      if ('problem' in checked) return refuse(reply, checked.problem.code, checked.problem.message);
      const task = world.createTask('hailuo', { body: checked.body }, newId());
      const callbackUrl = checked.body.callback_url;
      if (typeof callbackUrl === 'string') setImmediate(() => void callBack(task, callbackUrl));
      return reply.send({ task_id: task.id, ...ok });
    });

    app.get<{ Querystring: { task_id?: string } }>('/v1/query/video_generation', async (request, reply) => {
      if (await turnedAway(world, gate, 'poll', request, reply)) return reply;
      const task = world.tasks.get(request.query.task_id ?? '');
      if (!task || task.vendor !== 'hailuo') return refuse(reply, 2013, 'invalid params, task_id not found');
      return reply.send(query(task));
    });

    app.get<{ Querystring: { file_id?: string } }>(
      '/v1/files/retrieve',
      async (request: FastifyRequest<{ Querystring: { file_id?: string } }>, reply) => {
        if (await turnedAway(world, gate, 'poll', request, reply, 'retrieve')) return reply;
        const fileId = request.query.file_id ?? '';
        const task = files.get(fileId);
        if (!task) return refuse(reply, 2013, 'invalid params, file_id not found');
        return reply.send({
          file: {
            file_id: Number(fileId),
            bytes: 0,
            created_at: Math.floor(world.finishedAt(task) / 1000),
            filename: 'output.mp4',
            purpose: 'video_generation',
            download_url: originOf(request) + resultPath(world, task, downloadTtlMs),
          },
          ...ok,
        });
      },
    );
  };
}

export const hailuo: VendorSimulator = {
  vendor: 'hailuo',
  title: 'MiniMax Hailuo',
  routes: (world) => hailuoSimulator(world),
  account: () => ({ ...defaultHailuoAccount }),
  models: Object.keys(models),
};
