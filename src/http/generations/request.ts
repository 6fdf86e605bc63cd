/**
 * The unified video request: the generations surface's POST /v1/video/generations body, validated field by field and
 * normalised into what every surface and vendor adapter works from.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../../errors.js';
import { parseImage } from '../../vendors/image.js';
import type { VideoRequest } from '../../tasks/video-request.js';
import type { WebhookTargetPolicy } from '../../security/webhook-targets.js';
import { issueMessage } from '../issue-messages.js';

const dimension = z.number().int().min(64).max(8192);

/** The generations surface's request body. Unknown top-level fields are refused, so nothing a client sends is silently dropped. */
export const generationsRequestSchema = z
  .object({
    model: z.string().min(1).max(200),
    prompt: z.string().min(1).max(20_000),
    duration: z.number().positive().max(600).optional(),
    fps: z.number().int().min(1).max(240).optional(),
    height: dimension.optional(),
    width: dimension.optional(),
    size: z
      .string()
      .regex(/^\d{2,5}x\d{2,5}$/, 'size must look like "1920x1080" (width x height in pixels)')
      .optional(),
    image: z.string().min(1).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    n: z.number().int().min(1).max(4).optional(),
    response_format: z.literal('url').optional(),
    seed: z.number().int().min(0).max(4_294_967_295).optional(),
    user: z.string().min(1).max(256).optional(),
    /** Where Reelay POSTs the task when it ends; also accepted as metadata.callback_url (the origin document's Vidu example). */
    callback_url: z.string().max(2048).optional(),
  })
  .strict();

export type GenerationsRequestBody = z.infer<typeof generationsRequestSchema>;

/** A zod failure as the client's 400: the first problem, naming its field (parse with reportInput: see issueMessage). */
export function invalidRequestFrom(error: z.ZodError, prefix: string[] = []): InvalidRequestError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const param = [...prefix, ...issue.path.map(String), issue.keys[0]!].join('.');
    return new InvalidRequestError(`Unknown parameter: ${param}`, param, 'unknown_parameter');
  }
  const param = [...prefix, ...issue.path.map(String)].join('.') || null;
  const message = issueMessage(issue);
  return new InvalidRequestError(param ? `${param}: ${message}` : message, param);
}

/** `targets`: when given, a callback_url it refuses (a private address, …) is a 400. */
export function parseGenerationsRequest(body: unknown, targets?: WebhookTargetPolicy): VideoRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object', null);
  }
  const parsed = generationsRequestSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw invalidRequestFrom(parsed.error);
  const req = parsed.data;

  const { width, height } = resolveDimensions(req);
  const { callback_url: metadataCallbackUrl, ...metadata } = req.metadata ?? {};
  return {
    model: req.model,
    prompt: req.prompt,
    durationSeconds: req.duration ?? null,
    fps: req.fps ?? null,
    width,
    height,
    image: req.image === undefined ? null : parseImage(req.image, 'image'),
    seed: req.seed ?? null,
    metadata,
    n: req.n ?? 1,
    endUser: req.user ?? null,
    callbackUrl: resolveCallbackUrl(req.callback_url, metadataCallbackUrl, targets),
  };
}

/** `size` and `width`/`height` say the same thing two ways: either is fine, both only when they agree. */
function resolveDimensions(req: GenerationsRequestBody): { width: number | null; height: number | null } {
  if ((req.width === undefined) !== (req.height === undefined)) {
    const missing = req.width === undefined ? 'width' : 'height';
    throw new InvalidRequestError('width and height must be given together', missing);
  }
  if (req.size === undefined) return { width: req.width ?? null, height: req.height ?? null };
  const [w, h] = req.size.split('x').map(Number) as [number, number];
  for (const [value, name] of [
    [w, 'width'],
    [h, 'height'],
  ] as const) {
    if (!dimension.safeParse(value).success) {
      throw new InvalidRequestError(`size: ${name} must be between 64 and 8192 pixels`, 'size');
    }
  }
  if (req.width !== undefined && (req.width !== w || req.height !== h)) {
    throw new InvalidRequestError(
      `size ${req.size} contradicts width ${req.width} and height ${req.height}`,
      'size',
    );
  }
  return { width: w, height: h };
}

/** callback_url, top level or in metadata: either, or both when they agree. */
function resolveCallbackUrl(
  topLevel: string | undefined,
  inMetadata: unknown,
  targets: WebhookTargetPolicy | undefined,
): string | null {
  const fromTop = parseCallbackUrl(topLevel, 'callback_url', targets);
  const fromMetadata = parseCallbackUrl(inMetadata, 'metadata.callback_url', targets);
  if (fromTop && fromMetadata && fromTop !== fromMetadata) {
    throw new InvalidRequestError(
      'callback_url and metadata.callback_url differ; send one of them',
      'callback_url',
    );
  }
  return fromTop ?? fromMetadata;
}

/** A URL Reelay will POST to (a task's callback_url, a key's webhook_url); null/"" = none. */
export function parseCallbackUrl(
  value: unknown,
  param: string,
  targets: WebhookTargetPolicy | undefined,
): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !/^https?:\/\//i.test(value) || !URL.canParse(value)) {
    throw new InvalidRequestError(`${param} must be an http(s) URL`, param);
  }
  const refusal = targets?.refusal(value);
  if (refusal) throw new InvalidRequestError(`${param}: ${refusal}`, param, 'webhook_target_not_allowed');
  return value;
}
