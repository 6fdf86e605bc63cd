/**
 * A task's stored request (the unified VideoRequest) told back with the field names of the API the client used, so
 * an operator reads what the client sent (duration, size, image…), not Reelay's internal names.
 */
import type { ImageInput } from '../../vendors/adapter.js';
import type { TaskSurface } from '../../store/schema.js';
import type { VideoRequest } from '../../tasks/video-request.js';

const imageText = (image: ImageInput) =>
  image.kind === 'url' ? image.url : `data:${image.mimeType ?? 'image/*'};base64,${image.data}`;

const size = (request: VideoRequest) =>
  request.width !== null && request.height !== null ? `${request.width}x${request.height}` : undefined;

const withoutUnset = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null));

/** POST /v1/video/generations (http/generations/request.ts). */
function asGenerationsBody(request: VideoRequest): Record<string, unknown> {
  return withoutUnset({
    model: request.model,
    prompt: request.prompt,
    duration: request.durationSeconds,
    fps: request.fps,
    size: size(request),
    image: request.image && imageText(request.image),
    seed: request.seed,
    n: request.n === 1 ? undefined : request.n,
    user: request.endUser,
    callback_url: request.callbackUrl,
    metadata: Object.keys(request.metadata).length > 0 ? request.metadata : undefined,
  });
}

/**
 * POST /v1/videos (http/openai/request.ts): seconds as OpenAI's string, the image as input_reference; a remix is
 * POST /v1/videos/{video_id}/remix with a prompt only.
 */
function asOpenAiBody(request: VideoRequest): Record<string, unknown> {
  if (request.remix) return { video_id: request.remix.sourceTaskId, prompt: request.prompt };
  return withoutUnset({
    model: request.model,
    prompt: request.prompt,
    seconds: request.durationSeconds === null ? undefined : String(request.durationSeconds),
    size: size(request),
    input_reference: request.image && { image_url: imageText(request.image) },
    metadata: Object.keys(request.metadata).length > 0 ? request.metadata : undefined,
  });
}

export function requestAsSent(request: VideoRequest, surface: TaskSurface): Record<string, unknown> {
  return surface === 'openai' ? asOpenAiBody(request) : asGenerationsBody(request);
}
