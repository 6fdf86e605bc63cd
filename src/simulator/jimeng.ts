/**
 * A faithful Jimeng (Volcengine visual API): the V4 signature recomputed and checked like Volcengine's gateway
 * (ResponseMetadata errors: 401 SignatureDoesNotMatch / InvalidAccessKey, 400 MissingParameter, …), bodies
 * validated per req_key (400 code 50215), tasks moving in_queue → generating → done, not_found for unknown ids
 * (or a req_key other than the task's), expired after the world's taskExpiryMs, video URLs valid for an hour.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { answerGenericFault } from './faults.js';
import { firstProblem, originOf } from './requests.js';
import type { VendorSimulator } from './vendor-simulator.js';
import { expectedVolcengineSignature, readVolcengineAuthorization } from './volcengine-signature.js';
import type { Fault, Phase, SimTask, SimWorld } from './world.js';
import { clipAsked } from './clips.js';

/*
 * Sources (J1–J6 in /work/shared/reference/vendors-kling-jimeng-vidu-seedance.md): Jimeng's API docs on
 * volcengine.com — S2.0 Pro docs/85621/1616429, 3.0 720P/1080P docs/85621/1792702 and /1792711, 3.0 Pro
 * docs/85621/1777001 — and, for the gateway's ResponseMetadata errors, the answers Volcengine gave in public
 * fixtures (J6). Their business-code table is J1's.
 */

/** The visual API: one endpoint, Action and Version in the query string, Region cn-north-1, Service cv. */
const apiVersion = '2022-08-31';
const phaseOfAction: Record<string, Phase> = {
  CVSync2AsyncSubmitTask: 'submit',
  CVSync2AsyncGetResult: 'poll',
};
const region = 'cn-north-1';
const service = 'cv';

/** What one req_key takes. */
interface ReqKey {
  /** How many input images (0 = text to video; first frame; first and last frame). */
  images: readonly number[];
  /** aspect_ratio values, or null where the video follows the input image and the field is not taken. */
  aspectRatios: readonly string[] | null;
  /** frames: 121 (5 s) or 241 (10 s) on the 3.0 models; S2.0 Pro has no frames field. */
  frames: boolean;
}

/** S2.0 Pro: "16:9, 4:3, 1:1, 3:4, 9:16, 21:9, 9:21"; the 3.0 models: the same without 9:21. */
const s20Ratios = ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9', '9:21'];
const v30Ratios = ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9'];
const v30Text: ReqKey = { images: [0], aspectRatios: v30Ratios, frames: true };
const v30First: ReqKey = { images: [1], aspectRatios: null, frames: true };
const v30FirstTail: ReqKey = { images: [2], aspectRatios: null, frames: true };

/** Every video req_key. The 3.0 1080P image keys end in `_1080`, without the p (docs/85621/1792711). */
const reqKeys: Record<string, ReqKey> = {
  jimeng_vgfm_t2v_l20: { images: [0], aspectRatios: s20Ratios, frames: false },
  jimeng_vgfm_i2v_l20: { images: [1], aspectRatios: s20Ratios, frames: false },
  jimeng_t2v_v30: v30Text,
  jimeng_i2v_first_v30: v30First,
  jimeng_i2v_first_tail_v30: v30FirstTail,
  jimeng_t2v_v30_1080p: v30Text,
  jimeng_i2v_first_v30_1080: v30First,
  jimeng_i2v_first_tail_v30_1080: v30FirstTail,
  // 3.0 Pro: text, or text and one first-frame image.
  jimeng_ti2v_v30_pro: { images: [0, 1], aspectRatios: v30Ratios, frames: true },
};
const reqKeyOf = (name: string) => (Object.hasOwn(reqKeys, name) ? reqKeys[name] : undefined);

/**
 * Not Volcengine's names: the family names channels offer for the 3.0 models (as new-api calls them), which a
 * gateway turns into one of the req_keys above. Listed so the simulator's channel offers what the gateway's does.
 */
const channelFamilyNames = ['jimeng_v30', 'jimeng_v30_1080p', 'jimeng_v30_pro'];

/** Input images: JPEG or PNG, at most 4.7 MB (J1). */
const maxImageBytes = 4.7 * 1024 * 1024;

/** CVSync2AsyncSubmitTask's body. req_json carries the AIGC metadata (implicit watermark) as a JSON string. */
const submitBody = z
  .object({
    req_key: z.string(),
    prompt: z.string().optional(),
    seed: z.number().int().min(-1).optional(),
    frames: z.number().int().optional(),
    aspect_ratio: z.string().optional(),
    image_urls: z.array(z.string()).optional(),
    binary_data_base64: z.array(z.string()).optional(),
    req_json: z.string().optional(),
  })
  .strict();
type SubmitBody = z.infer<typeof submitBody>;

/** CVSync2AsyncGetResult's body: the task under the req_key it was submitted with. */
const resultBody = z
  .object({ req_key: z.string(), task_id: z.string(), req_json: z.string().optional() })
  .strict();

type TaskStatus = 'in_queue' | 'generating' | 'done' | 'not_found' | 'expired';

interface ResultData {
  status: TaskStatus;
  video_url?: string;
  resp_data: string;
  aigc_meta_tagged?: boolean;
}

export interface JimengAccount {
  access_key_id: string;
  secret_access_key: string;
}

export const defaultJimengAccount: JimengAccount = {
  access_key_id: 'AKLTc2ltLWppbWVuZy1hY2Nlc3Mta2V5',
  secret_access_key: 'c2ltLWppbWVuZy1zZWNyZXQtYWNjZXNzLWtleQ==',
};

/** video_url is valid for one hour (Jimeng docs). */
const resultTtlMs = 3600 * 1000;
/** Tasks older than 12 hours are forgotten (Jimeng docs: not_found). */
const vendorTaskExpiryMs = 12 * 3600 * 1000;
/** How far X-Date may be from the gateway's clock [window assumed: as AWS SigV4, 15 minutes]. */
const maxClockSkewMs = 15 * 60 * 1000;

/** Business codes the simulator answers with: HTTP status and Jimeng's message (Jimeng docs' error table). */
const businessCodes: Record<number, { status: number; message: string }> = {
  50215: { status: 400, message: 'Input invalid for this service.' },
  50412: { status: 400, message: 'Text Risk Not Pass' },
  50516: { status: 400, message: 'Post Video Risk Not Pass' },
  50429: { status: 429, message: 'Request Has Reached API Limit, Please Try Later' },
  50430: { status: 429, message: 'Request Has Reached API Concurrent Limit, Please Try Later' },
  50500: { status: 500, message: 'Internal Error' },
  50501: { status: 500, message: 'Internal RPC Error' },
};

/** Volcengine gateway errors: HTTP status and CodeN (Volcengine's common error code table). */
const gatewayCodes = {
  MissingParameter: { status: 400, codeN: 100002 },
  MissingAuthenticationToken: { status: 401, codeN: 100003 },
  MissingRequestInfo: { status: 400, codeN: 100004 },
  InvalidTimestamp: { status: 400, codeN: 100006 },
  InvalidActionOrVersion: { status: 404, codeN: 100008 },
  InvalidAccessKey: { status: 401, codeN: 100009 },
  SignatureDoesNotMatch: { status: 401, codeN: 100010 },
  AccessDenied: { status: 403, codeN: 100013 },
} as const;
type GatewayCode = keyof typeof gatewayCodes;

const signatureMismatch =
  'The request signature we calculated does not match the signature you provided. Check your Secret Access Key and signing method. Consult the service documentation for details.';

/** Volcengine request ids: a compact UTC timestamp and hex. */
function requestId(): string {
  return (
    new Date().toISOString().replace(/\D/g, '').slice(0, 14) + randomBytes(10).toString('hex').toUpperCase()
  );
}

function envelope<T>(code: number, message: string, data: T | null) {
  return {
    code,
    data,
    message,
    request_id: requestId(),
    status: code,
    time_elapsed: `${(Math.random() * 100).toFixed(6)}ms`,
  };
}

function businessError(reply: FastifyReply, code: number, detail?: string, status?: number) {
  const known = businessCodes[code]!;
  return reply
    .code(status ?? known.status)
    .send(envelope(code, detail ? `${known.message} ${detail}` : known.message, null));
}

/** A body that does not fit the Action's schema: code 50215, naming the first problem. */
function invalidBody(reply: FastifyReply, error: z.ZodError) {
  return businessError(reply, 50215, `(${firstProblem(error)})`);
}

interface ActionQuery {
  Action?: string;
  Version?: string;
}

function gatewayError(request: FastifyRequest, reply: FastifyReply, code: GatewayCode, message: string) {
  const query = request.query as ActionQuery;
  // Volcengine's gateway envelope: no code, no data (J6).
  const body = {
    ResponseMetadata: {
      RequestId: requestId(),
      Action: query.Action ?? '',
      Version: query.Version ?? '',
      Service: service,
      Region: region,
      Error: { CodeN: gatewayCodes[code].codeN, Code: code, Message: message },
    },
  };
  return reply.code(gatewayCodes[code].status).send(body);
}

/** Jimeng's answer to each scripted fault. 50430 (concurrency) is Jimeng's other 429, scripted as http_error 429. */
function answerFault(request: FastifyRequest, reply: FastifyReply, fault: Fault, phase: Phase) {
  switch (fault.type) {
    case 'http_error':
      if (fault.status === 429) return businessError(reply, 50430);
      if (fault.status >= 500)
        return businessError(reply, fault.status === 500 ? 50500 : 50501, undefined, fault.status);
      return businessError(reply, 50215, undefined, fault.status);
    case 'rate_limit':
      return businessError(reply, 50429);
    case 'content_safety':
      // At submit the prompt fails the input check; at poll the output video fails the output check.
      return businessError(reply, phase === 'submit' ? 50412 : 50516);
    case 'auth_error':
      return gatewayError(
        request,
        reply,
        'AccessDenied',
        `User is not authorized to perform: cv:${(request.query as ActionQuery).Action} on resource: *`,
      );
    default:
      return null;
  }
}

/** X-Date as a time, or null when it is not yyyyMMdd'T'HHmmss'Z'. */
function parseXDate(value: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : null;
}

const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;

/** What is wrong with one input image, per Jimeng's limits (JPEG/PNG, ≤ 4.7 MB), or null. */
function imageProblem(field: 'image_urls' | 'binary_data_base64', value: string): string | null {
  if (field === 'image_urls')
    return /^https?:\/\/\S+$/i.test(value) ? null : 'image_urls must be http(s) URLs';
  if (value.startsWith('data:')) return 'binary_data_base64 must be raw base64 without a data: prefix';
  if (value.length % 4 !== 0 || !base64Pattern.test(value)) return 'binary_data_base64 is not valid base64';
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length > maxImageBytes) return 'binary_data_base64 images must be at most 4.7MB';
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const png = bytes.subarray(0, 4).toString('hex') === '89504e47';
  return jpeg || png ? null : 'binary_data_base64 images must be JPEG or PNG';
}

/** What is wrong with a submit body for its req_key, or null. */
function submitProblem(body: SubmitBody): string | null {
  const spec = reqKeyOf(body.req_key);
  if (!spec) return `req_key ${body.req_key} is not supported`;
  if (!body.prompt) return 'prompt is required';
  if (body.frames !== undefined) {
    if (!spec.frames) return `frames is not a parameter of ${body.req_key}`;
    if (body.frames !== 121 && body.frames !== 241) return 'frames must be 121 or 241';
  }
  if (body.aspect_ratio !== undefined) {
    if (!spec.aspectRatios) return `aspect_ratio is not a parameter of ${body.req_key}`;
    if (!spec.aspectRatios.includes(body.aspect_ratio))
      return `aspect_ratio must be one of ${spec.aspectRatios.join(', ')}`;
  }
  if (body.image_urls && body.binary_data_base64)
    return 'image_urls and binary_data_base64 are alternatives: send one';
  const field = body.image_urls ? 'image_urls' : 'binary_data_base64';
  const images = body[field] ?? [];
  if (!spec.images.includes(images.length)) {
    return `${body.req_key} takes ${spec.images.join(' or ')} image(s), got ${images.length}`;
  }
  for (const image of images) {
    const problem = imageProblem(field, image);
    if (problem) return problem;
  }
  return null;
}

export function jimengSimulator(world: SimWorld, accounts: JimengAccount[] = [defaultJimengAccount]) {
  const secrets = new Map(accounts.map((a) => [a.access_key_id, a.secret_access_key]));

  /** Recomputes the signature exactly as Volcengine does; answers the request and returns false when it fails. */
  function authenticate(request: FastifyRequest, reply: FastifyReply, rawBody: string): boolean {
    const fail = (code: GatewayCode, message: string) => {
      gatewayError(request, reply, code, message);
      return false;
    };
    const header = request.headers.authorization;
    if (!header) return fail('MissingAuthenticationToken', 'Request is missing Authentication Token.');
    const xDate = request.headers['x-date'];
    if (typeof xDate !== 'string')
      return fail('MissingRequestInfo', 'The request is missing X-Date information.');
    const signedAt = parseXDate(xDate);
    if (signedAt === null || Math.abs(Date.now() - signedAt) > maxClockSkewMs) {
      return fail('InvalidTimestamp', 'The Signature of the request is expired.');
    }
    const auth = readVolcengineAuthorization(header);
    if (!auth) return fail('SignatureDoesNotMatch', signatureMismatch);
    const secret = secrets.get(auth.accessKeyId);
    if (!secret)
      return fail(
        'InvalidAccessKey',
        `The accesskey [${auth.accessKeyId}] included in the request is invalid.`,
      );

    const headers: Record<string, string> = {};
    for (const name of auth.signedHeaders) {
      const value = request.headers[name];
      if (typeof value !== 'string') return fail('SignatureDoesNotMatch', signatureMismatch);
      headers[name] = value;
    }
    const expected = expectedVolcengineSignature(
      { method: request.method, url: request.url, headers, body: rawBody, xDate },
      auth,
      secret,
    );
    const scopeIsRight =
      auth.region === region && auth.service === service && auth.date === xDate.slice(0, 8);
    const covers = ['host', 'x-date'].every((name) => auth.signedHeaders.includes(name));
    const matches = timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature));
    return scopeIsRight && covers && matches ? true : fail('SignatureDoesNotMatch', signatureMismatch);
  }

  function resultData(
    task: SimTask,
    origin: string,
  ): { status: TaskStatus; data: ResultData; failReason?: string } {
    if (Date.now() - task.createdAt >= (world.options.taskExpiryMs ?? vendorTaskExpiryMs)) {
      return { status: 'expired', data: { status: 'expired', resp_data: '' } };
    }
    const stage = world.stage(task);
    if (stage === 'queued') return { status: 'in_queue', data: { status: 'in_queue', resp_data: '' } };
    if (stage === 'running') return { status: 'generating', data: { status: 'generating', resp_data: '' } };
    if (stage === 'failed')
      return { status: 'done', data: { status: 'done', resp_data: '' }, failReason: task.failReason! };
    if (task.request.resultPath === undefined) {
      task.request.resultPath = world.publishVideo(
        resultTtlMs,
        clipAsked(task.request, task.deliveredSeconds),
      );
      // Volcengine's video URLs are signed and carry their expiry.
      task.request.resultQuery = `x-expires=${Math.floor((Date.now() + resultTtlMs) / 1000)}&x-signature=${randomBytes(16).toString('hex')}`;
    }
    const videoUrl = `${origin}${String(task.request.resultPath)}?${String(task.request.resultQuery)}`;
    return {
      status: 'done',
      data: { status: 'done', video_url: videoUrl, resp_data: '', aigc_meta_tagged: false },
    };
  }

  function submit(reply: FastifyReply, json: unknown) {
    const parsed = submitBody.safeParse(json);
    if (!parsed.success) return invalidBody(reply, parsed.error);
    const problem = submitProblem(parsed.data);
    if (problem) return businessError(reply, 50215, `(${problem})`);
    const task = world.createTask('jimeng', { ...parsed.data });
    return reply.send(envelope(10000, 'Success', { task_id: task.id }));
  }

  function getResult(request: FastifyRequest, reply: FastifyReply, json: unknown) {
    const parsed = resultBody.safeParse(json);
    if (!parsed.success) return invalidBody(reply, parsed.error);
    if (!reqKeyOf(parsed.data.req_key))
      return businessError(reply, 50215, `(req_key ${parsed.data.req_key} is not supported)`);
    const task = world.tasks.get(parsed.data.task_id);
    // A task is found only under the req_key it was submitted with.
    if (!task || task.vendor !== 'jimeng' || task.request.req_key !== parsed.data.req_key) {
      world.count('jimeng', 'poll.not_found');
      return reply.send(envelope<ResultData>(10000, 'Success', { status: 'not_found', resp_data: '' }));
    }
    const result = resultData(task, originOf(request));
    world.count('jimeng', `poll.${result.status}`);
    if (result.failReason !== undefined) {
      return reply
        .code(500)
        .send(envelope(50501, `${businessCodes[50501]!.message}: ${result.failReason}`, result.data));
    }
    return reply.send(envelope(10000, 'Success', result.data));
  }

  return async function plugin(app: FastifyInstance) {
    // The signature covers the body's exact bytes: keep them.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );

    app.post('/', async (request, reply) => {
      const { Action: action, Version: version } = request.query as ActionQuery;
      // Action and Version belong in the query string; in the body they are missing.
      if (!action || !version)
        return gatewayError(
          request,
          reply,
          'MissingParameter',
          `The request is missing ${action ? 'Version' : 'Action'} parameter.`,
        );
      const phase = Object.hasOwn(phaseOfAction, action) ? phaseOfAction[action] : undefined;
      if (!phase || version !== apiVersion) {
        return gatewayError(
          request,
          reply,
          'InvalidActionOrVersion',
          `Could not find operation ${action} for version ${version}.`,
        );
      }
      world.count('jimeng', phase);
      const rawBody = typeof request.body === 'string' ? request.body : '';
      if (!authenticate(request, reply, rawBody)) return reply;
      const fault = world.takeFault('jimeng', phase);
      if (
        fault &&
        ((await answerGenericFault(request, reply, fault)) || answerFault(request, reply, fault, phase))
      )
        return reply;

      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        return businessError(reply, 50215, '(the body is not JSON)');
      }
      return phase === 'submit' ? submit(reply, json) : getResult(request, reply, json);
    });
  };
}

export const jimeng: VendorSimulator = {
  vendor: 'jimeng',
  title: 'Jimeng',
  routes: (world) => jimengSimulator(world),
  account: () => ({ ...defaultJimengAccount }),
  models: [...Object.keys(reqKeys), ...channelFamilyNames],
  demoModels: [
    'jimeng_vgfm_t2v_l20',
    'jimeng_vgfm_i2v_l20',
    'jimeng_v30',
    'jimeng_v30_1080p',
    'jimeng_v30_pro',
  ],
};
