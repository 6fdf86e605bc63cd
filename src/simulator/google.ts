/**
 * What the Gemini API's Veo (veo.ts) and Vertex AI's Veo (vertex.ts) simulators share: Google's error envelope,
 * the Veo request body and its checks, and the long-running Operation. Written from Google's documentation,
 * independently of src/vendors (each rule cites its source).
 */
import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { isObject } from './admission.js';
import type { Fault, SimTask, SimWorld } from './world.js';

/** google.rpc.Code names by HTTP status (cloud.google.com/apis/design/errors "Handling errors"). */
const statusNames: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export interface GoogleProblem {
  code: number;
  message: string;
  status?: string;
  details?: Record<string, unknown>[];
}

/** Google's JSON error: {error: {code, message, status, details?}} with the HTTP status repeated in `code`. */
export function googleError(reply: FastifyReply, problem: GoogleProblem) {
  const status = problem.status ?? statusNames[problem.code] ?? 'UNKNOWN';
  return reply.code(problem.code).send({
    error: {
      code: problem.code,
      message: problem.message,
      status,
      ...(problem.details ? { details: problem.details } : {}),
    },
  });
}

const invalid = (message: string): GoogleProblem => ({ code: 400, message });

/** Answers a scripted fault as Google would; false for one that does not answer a request. */
export function answerGoogleFault(reply: FastifyReply, fault: Fault): boolean {
  const problem = googleFault(fault);
  if (!problem) return false;
  googleError(problem.code === 429 ? reply.header('retry-after', '1') : reply, problem);
  return true;
}

/** Google's answer to each scripted fault. */
function googleFault(fault: Fault): GoogleProblem | null {
  switch (fault.type) {
    case 'http_error':
      return fault.status >= 500
        ? { code: fault.status, message: 'Internal error encountered.' }
        : invalid('Request contains an invalid argument.');
    case 'rate_limit':
      // ai.google.dev/gemini-api/docs/troubleshooting: 429 RESOURCE_EXHAUSTED.
      return { code: 429, message: 'Resource has been exhausted (e.g. check quota).' };
    case 'content_safety':
      // [UNVERIFIED] the wording of Veo's prompt refusal.
      return invalid(
        "The prompt could not be submitted. This prompt contains words that violate Google's Responsible AI practices.",
      );
    case 'auth_error':
      return {
        code: 401,
        message: 'Request had invalid authentication credentials.',
      };
    default:
      return null;
  }
}

/** The Veo models and what each takes (ai.google.dev/gemini-api/docs/video "Veo model parameters"), stated here. */
interface VeoModelSpec {
  durations: number[];
  resolutions: string[];
  lastFrame: boolean;
  audio: boolean;
}
const veo3x = { durations: [4, 6, 8], resolutions: ['720p', '1080p'], lastFrame: false, audio: true };
export const veoModelSpecs: Record<string, VeoModelSpec> = {
  'veo-3.1-generate-preview': { ...veo3x, resolutions: ['720p', '1080p', '4k'], lastFrame: true },
  'veo-3.1-fast-generate-preview': { ...veo3x, resolutions: ['720p', '1080p', '4k'], lastFrame: true },
  'veo-3.0-generate-001': veo3x,
  'veo-3.0-fast-generate-001': veo3x,
  'veo-2.0-generate-001': { durations: [5, 6, 7, 8], resolutions: ['720p'], lastFrame: false, audio: false },
};
export const veoSimModels = Object.keys(veoModelSpecs);

/** The parameters both APIs take; each simulator adds its own (Vertex: seed, generateAudio, storageUri, …). */
export const commonParameters = [
  'sampleCount',
  'durationSeconds',
  'aspectRatio',
  'resolution',
  'negativePrompt',
  'personGeneration',
  'enhancePrompt',
];

/** An image as the REST samples send it ({inlineData: {mimeType, data}}) or as js-genai does ({bytesBase64Encoded, mimeType}). */
function imageProblem(image: unknown, field: string, allowGcs: boolean): string | null {
  if (!isObject(image)) return `${field} must be an object`;
  const inline = isObject(image.inlineData) ? image.inlineData : null;
  const bytes = inline ? inline.data : image.bytesBase64Encoded;
  const mime = inline ? inline.mimeType : image.mimeType;
  if (allowGcs && typeof image.gcsUri === 'string' && image.gcsUri.startsWith('gs://')) return null;
  if (typeof bytes !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(bytes))
    return `${field} needs base64 image bytes`;
  if (typeof mime !== 'string' || !/^image\/(png|jpeg|webp)$/.test(mime))
    return `${field}.mimeType must be image/png, image/jpeg or image/webp`;
  return null;
}

export interface VeoCheck {
  /** Parameters this API takes beyond commonParameters. */
  extraParameters: readonly string[];
  allowGcsImages: boolean;
  maxSamples: number;
}

/** Veo's checks of a predictLongRunning body, as Google reports them (400 INVALID_ARGUMENT with a message). */
export function checkVeoBody(model: string, raw: unknown, api: VeoCheck): GoogleProblem | null {
  const spec = Object.hasOwn(veoModelSpecs, model) ? veoModelSpecs[model]! : null;
  if (!spec)
    return {
      code: 404,
      message: `models/${model} is not found for API version v1beta, or is not supported for predictLongRunning.`,
    };
  if (!isObject(raw) || !Array.isArray(raw.instances) || raw.instances.length !== 1)
    return invalid('instances must hold exactly one instance');
  const instance = raw.instances[0];
  if (!isObject(instance) || typeof instance.prompt !== 'string' || instance.prompt.length === 0)
    return invalid('instances[0].prompt is required');
  for (const field of ['image', 'lastFrame'] as const) {
    if (instance[field] === undefined) continue;
    const problem = imageProblem(instance[field], `instances[0].${field}`, api.allowGcsImages);
    if (problem) return invalid(problem);
  }
  if (instance.lastFrame !== undefined && !spec.lastFrame)
    return invalid(`lastFrame isn't supported by ${model}.`);
  if (instance.lastFrame !== undefined && instance.image === undefined)
    return invalid('lastFrame needs image.');
  const parameters = isObject(raw.parameters) ? raw.parameters : {};
  const unknown = Object.keys(parameters).find(
    (k) => !commonParameters.includes(k) && !api.extraParameters.includes(k),
  );
  // The Gemini API refuses Vertex-only parameters (js-genai throws for seed and generateAudio in Gemini mode).
  if (unknown)
    return invalid(
      `\`${unknown}\` isn't supported by this model. Please remove it or refer to the Gemini API documentation for supported usage.`,
    );
  // The REST samples send durationSeconds as a string at times ("8"); both mean the same.
  const duration = Number(parameters.durationSeconds ?? 8);
  if (!spec.durations.includes(duration))
    return invalid(`The durationSeconds you specified (${duration}) is not supported by ${model}.`);
  const aspect = parameters.aspectRatio ?? '16:9';
  if (aspect !== '16:9' && aspect !== '9:16')
    return invalid(`aspectRatio ${String(aspect)} is not supported.`);
  const resolution = String(parameters.resolution ?? '720p');
  if (!spec.resolutions.includes(resolution))
    return invalid(`resolution ${resolution} is not supported by ${model}.`);
  if (resolution !== '720p' && duration !== 8) return invalid(`${resolution} videos must be 8 seconds long.`);
  const samples = Number(parameters.sampleCount ?? 1);
  if (!Number.isInteger(samples) || samples < 1 || samples > api.maxSamples)
    return invalid(`sampleCount must be between 1 and ${api.maxSamples}.`);
  const person = parameters.personGeneration;
  if (person !== undefined && !['allow_all', 'allow_adult', 'dont_allow'].includes(String(person)))
    return invalid(`personGeneration ${String(person)} is not supported.`);
  if (parameters.generateAudio === true && !spec.audio)
    return invalid(`generateAudio isn't supported by ${model}.`);
  return null;
}

/** A new operation id, as Google's: lower-case alphanumerics. */
export const operationId = () => randomBytes(9).toString('hex');

/** Why a `task_fails` fault with this reason ends in Veo's safety filter rather than an error. */
export const raiFiltered = 'rai_filtered';

/**
 * The operation as Google reports it: `done` false while queued or running (no progress field), then a
 * `response` built by the caller (Gemini and Vertex differ; `filtered` holds raiMediaFilteredReasons when Veo's
 * safety filter removed the video, which ends the operation without an error) or an `error` (google.rpc.Status).
 */
export function operationView(
  world: SimWorld,
  task: SimTask,
  name: string,
  response: (filtered: string[] | null) => Record<string, unknown>,
): Record<string, unknown> {
  const stage = world.stage(task);
  if (stage === 'queued' || stage === 'running') return { name, done: false };
  if (stage === 'succeeded') return { name, done: true, response: response(null) };
  if (task.failReason === raiFiltered)
    return { name, done: true, response: response(['The video was filtered out for safety reasons.']) };
  return { name, done: true, error: { code: 13, message: task.failReason ?? 'Video generation failed.' } };
}
