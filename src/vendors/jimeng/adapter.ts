/**
 * Jimeng (Volcengine visual API): Signature V4 auth, one submit and one result Action for every model, the model
 * chosen by `req_key`; statuses in_queue → generating → done, plus not_found and expired.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { parseImage } from '../image.js';
import type {
  ModelCapabilities,
  ImageInput,
  PollOutcome,
  PreparedSubmit,
  VendorAdapter,
  VendorAnswer,
  VendorCall,
  VendorRejection,
  VendorTrouble,
  VendorWarning,
  VideoJob,
} from '../adapter.js';
import { isObject, retryAfterMs, troubleFromStatus } from '../answers.js';
import { dimensionsFor, nearestAspectRatio, parseMetadata } from '../mapping.js';
import { signJimengRequest, type JimengCredentials } from './auth.js';
import {
  framesBySeconds,
  jimengActions,
  jimengApiVersion,
  jimengAspectRatios,
  jimengFamilyAliases,
  jimengMaxImageBytes,
  jimengModels,
  jimengReqKeys,
  reqKeySpec,
  type JimengEnvelope,
  type JimengFamily,
  type JimengResultBody,
  type JimengResultData,
  type JimengSubmitBody,
  type JimengSubmitData,
  type ReqKeySpec,
  type VolcengineGatewayError,
} from './types.js';
import { vendorUrl } from '../calls.js';

/** The metadata keys a client may send for Jimeng, in Jimeng's own names. */
const jimengMetadata = z
  .object({
    req_key: z.string().min(1).optional(),
    image_urls: z.array(z.string().min(1)).min(1).max(2).optional(),
    binary_data_base64: z.array(z.string().min(1)).min(1).max(2).optional(),
    aspect_ratio: z.enum(jimengAspectRatios).optional(),
    frames: z.union([z.literal(121), z.literal(241)]).optional(),
    seed: z.number().int().min(-1).optional(),
  })
  .strict();

/** Jimeng documents prompts of up to 800 characters; longer ones may be partly ignored. */
const promptAdvisoryLength = 800;
const jimengFps = 24;
const familyNames: Record<JimengFamily, string> = {
  s20_pro: 'Jimeng S2.0 Pro',
  v30_720p: 'Jimeng 3.0 720P',
  v30_1080p: 'Jimeng 3.0 1080P',
  v30_pro: 'Jimeng 3.0 Pro',
};

const actionPath = (action: string) => `/?Action=${action}&Version=${jimengApiVersion}`;

interface GivenImage {
  image: ImageInput;
  param: string;
}

/** `image`, then metadata.image_urls, then metadata.binary_data_base64, each image once (the seed repeats it). */
function collectImages(job: VideoJob, meta: z.infer<typeof jimengMetadata>): GivenImage[] {
  const given: GivenImage[] = job.image ? [{ image: job.image, param: 'image' }] : [];
  meta.image_urls?.forEach((value, i) => {
    const param = `metadata.image_urls.${i}`;
    const image = parseImage(value, param);
    if (image.kind !== 'url') throw new InvalidRequestError(`${param} must be an http(s) URL`, param);
    given.push({ image, param });
  });
  meta.binary_data_base64?.forEach((value, i) => {
    const param = `metadata.binary_data_base64.${i}`;
    const image = parseImage(value, param);
    if (image.kind !== 'base64')
      throw new InvalidRequestError(`${param} must be base64-encoded image bytes`, param);
    given.push({ image, param });
  });
  const key = ({ image }: GivenImage) => (image.kind === 'url' ? `url:${image.url}` : `b64:${image.data}`);
  const unique = given.filter((entry, i) => given.findIndex((other) => key(other) === key(entry)) === i);

  // Jimeng takes one list, URLs or base64, never both: a mixed request cannot keep its image order.
  const odd = unique.find((entry) => entry.image.kind !== unique[0]!.image.kind);
  if (odd) {
    throw new InvalidRequestError(
      `Jimeng takes the images of one request either all as URLs or all as base64; ${unique[0]!.param} and ${odd.param} differ`,
      odd.param,
    );
  }
  for (const { image, param } of unique) {
    if (image.kind !== 'base64') continue;
    if (image.mimeType !== null && image.mimeType !== 'image/jpeg' && image.mimeType !== 'image/png') {
      throw new InvalidRequestError(`Jimeng takes JPEG or PNG images, ${param} is ${image.mimeType}`, param);
    }
    if ((image.data.length / 4) * 3 > jimengMaxImageBytes) {
      throw new InvalidRequestError(`Jimeng takes images of at most 4.7 MB, ${param} is larger`, param);
    }
  }
  return unique;
}

/**
 * What a model (a family, or one of its req_keys) takes, from the same req_key table prepareSubmit picks from:
 * 5 s, or 5 and 10 s where the family takes `frames`; the aspect ratios of its text-to-video variant (image
 * variants follow the image); a first frame where a variant takes one image, a last frame where one takes two.
 */
function jimengCapabilities(model: string): ModelCapabilities | undefined {
  const family = familyNamed(model);
  if (!family) return undefined;
  const variants: ReqKeySpec[] = Object.values(jimengReqKeys).filter((spec) => spec.family === family);
  const counts = variants.flatMap((spec) => spec.imageCounts);
  return {
    durations: variants.some((spec) => spec.takesFrames) ? Object.keys(framesBySeconds).map(Number) : [5],
    aspectRatios: variants.find((spec) => spec.aspectRatios)?.aspectRatios ?? null,
    images: {
      firstFrame: counts.some((count) => count >= 1),
      lastFrame: counts.includes(2),
      references: 0,
      required: !counts.includes(0),
    },
  };
}

/** The family a model name names: an alias, or one of its req_keys. */
function familyNamed(model: string): JimengFamily | undefined {
  return Object.hasOwn(jimengFamilyAliases, model) ? jimengFamilyAliases[model] : reqKeySpec(model)?.family;
}

function familyOf(model: string): JimengFamily {
  const family = familyNamed(model);
  if (!family) throw new InvalidRequestError(`Jimeng has no model ${model}`, 'model');
  return family;
}

/**
 * The req_key: the model names the family and the number of images picks the variant. A client's
 * metadata.req_key is honoured as long as it is that same variant; another family (a different price) is a 400.
 */
function chooseReqKey(job: VideoJob, requested: string | undefined, images: GivenImage[]): string {
  const family = familyOf(job.upstreamModel);
  const requestedSpec = requested === undefined ? undefined : reqKeySpec(requested);
  if (requested !== undefined && !requestedSpec) {
    throw new InvalidRequestError(
      `metadata.req_key ${requested} is not a Jimeng video req_key`,
      'metadata.req_key',
    );
  }
  if (requestedSpec && requestedSpec.family !== family) {
    throw new InvalidRequestError(
      `metadata.req_key ${requested} would run ${familyNames[requestedSpec.family]}, not ${job.model} (${familyNames[family]})`,
      'metadata.req_key',
    );
  }
  const variants = Object.entries(jimengReqKeys).filter(([, spec]) => spec.family === family);
  const counts = (spec: ReqKeySpec) => spec.imageCounts as readonly number[];
  const chosen = variants.find(([, spec]) => counts(spec).includes(images.length))?.[0];
  if (!chosen) {
    const most = Math.max(...variants.flatMap(([, spec]) => counts(spec)));
    throw new InvalidRequestError(
      `${familyNames[family]} takes at most ${most} image(s), the request has ${images.length}`,
      images[most]!.param,
    );
  }
  if (requestedSpec && requested !== chosen) {
    throw new InvalidRequestError(
      `metadata.req_key ${requested} takes ${counts(requestedSpec).join(' or ')} image(s), the request has ${images.length}`,
      'metadata.req_key',
    );
  }
  return chosen;
}

function chooseFrames(
  job: VideoJob,
  spec: ReqKeySpec,
  metaFrames: number | undefined,
): { seconds: number; frames: number } {
  const seconds = job.durationSeconds ?? (metaFrames === 241 ? 10 : 5);
  const frames = framesBySeconds[seconds];
  if (frames === undefined)
    throw new InvalidRequestError(`Jimeng renders 5 or 10 second videos, not ${seconds}`, 'duration');
  if (metaFrames !== undefined && metaFrames !== frames) {
    throw new InvalidRequestError(
      `metadata.frames ${metaFrames} contradicts duration ${seconds}`,
      'metadata.frames',
    );
  }
  if (!spec.takesFrames && seconds !== 5) {
    const param = job.durationSeconds === null ? 'metadata.frames' : 'duration';
    throw new InvalidRequestError(`${familyNames[spec.family]} renders 5 second videos only`, param);
  }
  return { seconds, frames };
}

/** The aspect ratio to send (null = not sent) and the one the output will have (null = follows the image). */
function chooseAspect(
  job: VideoJob,
  spec: ReqKeySpec,
  requested: string | undefined,
  imageCount: number,
  warnings: VendorWarning[],
) {
  if (spec.aspectRatios === null) {
    if (requested !== undefined || job.width !== null) {
      warnings.push({
        feature: 'size',
        details:
          "Jimeng 3.0 image-to-video follows the input image's aspect ratio: the requested size was not sent",
      });
    }
    return { sent: null, produced: null };
  }
  if (requested !== undefined && !spec.aspectRatios.includes(requested)) {
    throw new InvalidRequestError(
      `metadata.aspect_ratio ${requested} is not one of ${spec.aspectRatios.join(', ')} for ${familyNames[spec.family]}`,
      'metadata.aspect_ratio',
    );
  }
  const fromSize =
    job.width && job.height ? nearestAspectRatio(job.width, job.height, spec.aspectRatios) : null;
  if (requested !== undefined && fromSize && requested !== fromSize) {
    throw new InvalidRequestError(
      `metadata.aspect_ratio ${requested} contradicts the requested size (${job.width}x${job.height})`,
      'metadata.aspect_ratio',
    );
  }
  const sent = requested ?? fromSize;
  // Text-to-video defaults to 16:9; with an image and no ratio, the output follows the image.
  return { sent, produced: sent ?? (imageCount === 0 ? '16:9' : null) };
}

/** Jimeng business codes (body `code`), from the error table of its video docs. */
const jimengCodes: Record<
  number,
  { kind: 'content' | 'content_retryable' | 'invalid' | 'transient'; meaning: string }
> = {
  50411: { kind: 'content', meaning: 'input image failed the content check' },
  50412: { kind: 'content', meaning: 'input text failed the content check' },
  50413: { kind: 'content', meaning: 'input text contains sensitive or copyrighted words' },
  50511: { kind: 'content_retryable', meaning: 'output image failed the content check' },
  50512: { kind: 'content', meaning: 'output text failed the content check' },
  50516: { kind: 'content_retryable', meaning: 'output video failed the content check' },
  50517: { kind: 'content_retryable', meaning: 'output audio failed the content check' },
  50518: { kind: 'content', meaning: 'input image failed the copyright check' },
  50519: { kind: 'content_retryable', meaning: 'output image failed the copyright check' },
  50520: { kind: 'content', meaning: 'the content check service failed' },
  50521: { kind: 'content', meaning: 'the copyright word check failed' },
  50522: { kind: 'content', meaning: 'the copyright image check failed' },
  50215: { kind: 'invalid', meaning: 'the input is invalid for this service' },
  50429: { kind: 'transient', meaning: 'QPS limit reached' },
  50430: { kind: 'transient', meaning: 'concurrency limit reached' },
  50500: { kind: 'transient', meaning: 'internal error' },
  50501: { kind: 'transient', meaning: 'internal algorithm error' },
};

function describeCode(code: number, message: string): string {
  const said = [message, jimengCodes[code]?.meaning].filter(Boolean).join(': ');
  return `Jimeng ${code}: ${said || 'error'}`;
}

/** A refused submit: content checks and invalid input are the client's 400; the rest is worth another try. */
function submitCodeOutcome(
  code: number,
  message: string,
  answer: VendorAnswer,
): VendorRejection | VendorTrouble {
  const text = describeCode(code, message);
  switch (jimengCodes[code]?.kind) {
    case 'content':
      return { kind: 'rejected', code: 'content_policy_violation', message: text };
    case 'invalid':
      return { kind: 'rejected', code: 'vendor_invalid_request', message: text };
    default:
      // Output checks may pass on a fresh generation; limits and internal errors pass with time.
      return { kind: 'retry_later', message: text, retryAfterMs: retryAfterMs(answer) };
  }
}

/** A refused result query: the task's own failure ends it; limits and internal errors are asked again later. */
function pollCodeOutcome(
  code: number,
  message: string,
  data: JimengResultData | null,
  answer: VendorAnswer,
): PollOutcome {
  const text = describeCode(code, message);
  const kind = jimengCodes[code]?.kind;
  if (kind === 'content' || kind === 'content_retryable')
    return { kind: 'failed', code: 'content_policy_violation', message: text };
  if (kind === 'invalid') return { kind: 'failed', code: 'vendor_invalid_request', message: text };
  // "done" means finished, success or failure, told apart by the outer code (Jimeng docs, task statuses).
  if (data?.status === 'done') return { kind: 'failed', code: 'generation_failed', message: text };
  return { kind: 'retry_later', message: text, retryAfterMs: retryAfterMs(answer) };
}

/** Volcengine gateway errors: what each says about the channel. Messages are ours (theirs quote the access key). */
const gatewayErrors: Record<string, { kind: VendorTrouble['kind']; meaning: string }> = {
  SignatureDoesNotMatch: {
    kind: 'channel_broken',
    meaning: 'the signature does not match: check the secret access key',
  },
  InvalidAccessKey: { kind: 'channel_broken', meaning: 'the access key id is not valid' },
  MissingAuthenticationToken: { kind: 'channel_broken', meaning: 'the request carried no credentials' },
  MissingSignature: { kind: 'channel_broken', meaning: 'the request carried no signature' },
  InvalidAuthorization: { kind: 'channel_broken', meaning: 'the Authorization header is malformed' },
  InvalidCredential: { kind: 'channel_broken', meaning: 'the credential scope is malformed' },
  AccessDenied: { kind: 'channel_broken', meaning: 'the account may not use this service' },
  LackPolicy: { kind: 'channel_broken', meaning: 'the account lacks the policy for this service' },
  ServiceNotFound: { kind: 'channel_broken', meaning: 'the service does not exist here: check the base URL' },
  InvalidActionOrVersion: {
    kind: 'channel_broken',
    meaning: 'the Action or Version is unknown here: check the base URL',
  },
  MissingParameter: {
    kind: 'channel_broken',
    meaning: 'Action or Version did not reach the vendor: check the base URL',
  },
  MissingRequestInfo: { kind: 'channel_broken', meaning: 'a required header did not reach the vendor' },
  InvalidTimestamp: {
    kind: 'retry_later',
    meaning: "the request's X-Date is too far from the vendor's clock: check this host's clock",
  },
  InternalError: { kind: 'retry_later', meaning: 'internal error' },
  InternalServiceTimeout: { kind: 'retry_later', meaning: 'internal timeout' },
};

function gatewayOutcome(answer: VendorAnswer, what: string): VendorTrouble | null {
  const error = (answer.json as Partial<VolcengineGatewayError> | undefined)?.ResponseMetadata?.Error;
  if (!isObject(answer.json) || !isObject(error) || typeof error.Code !== 'string') return null;
  const known = Object.hasOwn(gatewayErrors, error.Code) ? gatewayErrors[error.Code] : undefined;
  if (!known) return troubleFromStatus(answer, `${what}: Volcengine ${error.Code}`);
  const message = `${what}: Volcengine ${error.Code}: ${known.meaning}`;
  return known.kind === 'channel_broken'
    ? { kind: 'channel_broken', message }
    : { kind: 'retry_later', message, retryAfterMs: retryAfterMs(answer) };
}

function readEnvelope<T>(answer: VendorAnswer): JimengEnvelope<T> | null {
  const body = answer.json;
  if (!isObject(body) || typeof body.code !== 'number') return null;
  return body as unknown as JimengEnvelope<T>;
}

/** What each task status means while the outer code is 10000. */
const statusOutcomes: Record<string, (data: JimengResultData) => PollOutcome> = {
  in_queue: () => ({ kind: 'processing', queued: true, progress: null }),
  generating: () => ({ kind: 'processing', queued: false, progress: null }),
  // Some Volcengine visual APIs report a pre-processing state by this name.
  processing: () => ({ kind: 'processing', queued: false, progress: null }),
  done: (data) =>
    data.video_url
      ? { kind: 'succeeded', url: data.video_url, coverUrl: null, facts: {} }
      : { kind: 'retry_later', message: 'Jimeng reported the task done without a video_url' },
  not_found: () => ({
    kind: 'failed',
    code: 'vendor_task_lost',
    message: 'Jimeng no longer knows this task (not_found: it is unknown or older than 12 hours)',
  }),
  expired: () => ({
    kind: 'failed',
    code: 'vendor_task_expired',
    message: 'Jimeng reports the task expired before it produced a video; submit it again',
  }),
};

export const jimengAdapter: VendorAdapter<JimengCredentials> = {
  vendor: 'jimeng',
  credentials: z.object({ access_key_id: z.string().min(1), secret_access_key: z.string().min(1) }).strict(),
  defaultBaseUrl: 'https://visual.volcengineapi.com',
  models: jimengModels,
  capabilities: jimengCapabilities,

  prepareSubmit(job: VideoJob): PreparedSubmit {
    const meta = parseMetadata(jimengMetadata, job.metadata);
    const warnings: VendorWarning[] = [];
    if (job.fps !== null && job.fps !== jimengFps) {
      throw new InvalidRequestError(
        `Jimeng renders ${jimengFps} fps only; omit fps or send ${jimengFps}`,
        'fps',
      );
    }
    if (job.seed !== null && meta.seed !== undefined && job.seed !== meta.seed) {
      throw new InvalidRequestError(
        `metadata.seed ${meta.seed} contradicts seed ${job.seed}`,
        'metadata.seed',
      );
    }
    if (job.prompt.length > promptAdvisoryLength) {
      warnings.push({
        feature: 'prompt',
        details: `Jimeng documents prompts of up to ${promptAdvisoryLength} characters; a longer prompt may be partly ignored`,
      });
    }

    const images = collectImages(job, meta);
    const reqKey = chooseReqKey(job, meta.req_key, images);
    const spec = reqKeySpec(reqKey)!;
    const { seconds, frames } = chooseFrames(job, spec, meta.frames);
    const aspect = chooseAspect(job, spec, meta.aspect_ratio, images.length, warnings);
    const seed = job.seed ?? meta.seed ?? null;

    const body: JimengSubmitBody = { req_key: reqKey, prompt: job.prompt };
    if (spec.takesFrames) body.frames = frames;
    if (aspect.sent) body.aspect_ratio = aspect.sent;
    if (seed !== null) body.seed = seed;
    if (images.length > 0) {
      const [first] = images;
      if (first!.image.kind === 'url')
        body.image_urls = images.map(({ image }) => (image as { url: string }).url);
      // Jimeng wants raw base64: parseImage has already removed any data: prefix.
      else body.binary_data_base64 = images.map(({ image }) => (image as { data: string }).data);
    }
    const produced = aspect.produced ? dimensionsFor(aspect.produced, spec.shortSide) : null;

    return {
      call: { method: 'POST', path: actionPath(jimengActions.submit), body },
      // Results are looked up by the req_key the task was submitted with.
      pollContext: { req_key: reqKey },
      expected: {
        durationSeconds: seconds,
        fps: jimengFps,
        width: produced?.width ?? null,
        height: produced?.height ?? null,
        seed: seed !== null && seed >= 0 ? seed : null,
      },
      warnings,
    };
  },

  readSubmit(answer) {
    const gateway = gatewayOutcome(answer, 'Jimeng submit');
    if (gateway) return gateway;
    const envelope = readEnvelope<JimengSubmitData>(answer);
    if (!envelope) return troubleFromStatus(answer, 'Jimeng submit');
    if (envelope.code !== 10000) return submitCodeOutcome(envelope.code, envelope.message, answer);
    const taskId = envelope.data?.task_id;
    if (typeof taskId !== 'string' || taskId.length === 0) {
      return { kind: 'retry_later', message: 'Jimeng submit: accepted without a task_id' };
    }
    return { kind: 'accepted', upstreamTaskId: taskId };
  },

  preparePoll(upstreamTaskId, pollContext): VendorCall {
    const reqKey = pollContext.req_key;
    if (!reqKey) throw new Error('Jimeng job stored without the req_key it was submitted with');
    const body: JimengResultBody = { req_key: reqKey, task_id: upstreamTaskId };
    return { method: 'POST', path: actionPath(jimengActions.poll), body };
  },

  readPoll(answer): PollOutcome {
    const gateway = gatewayOutcome(answer, 'Jimeng poll');
    if (gateway) return gateway;
    const envelope = readEnvelope<JimengResultData>(answer);
    if (!envelope) return troubleFromStatus(answer, 'Jimeng poll');
    if (envelope.code !== 10000)
      return pollCodeOutcome(envelope.code, envelope.message, envelope.data, answer);
    const data = envelope.data;
    const outcome =
      data && Object.hasOwn(statusOutcomes, data.status) ? statusOutcomes[data.status] : undefined;
    if (!data || !outcome) {
      return {
        kind: 'retry_later',
        message: `Jimeng reported an unknown task status ${JSON.stringify(data?.status)}`,
      };
    }
    return outcome(data);
  },

  async sign(call, baseUrl, credentials) {
    const url = vendorUrl(baseUrl, call.path);
    const body = call.body === undefined ? '' : JSON.stringify(call.body);
    const headers = signJimengRequest({ method: call.method, url, body }, credentials);
    return { method: call.method, url, headers: { ...headers, accept: 'application/json' }, body };
  },
};
