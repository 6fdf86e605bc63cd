/**
 * The OpenAI Videos API's request bodies (create, remix) and queries, validated and mapped onto the unified
 * request, so any model on any channel runs through this surface exactly as through the generations surface.
 */
import { z } from 'zod';
import { ApiError, InvalidRequestError } from '../../errors.js';
import { parseImage } from '../../vendors/image.js';
import type { VideoRequest } from '../../tasks/video-request.js';
import { invalidRequestFrom, parseGenerationsRequest } from '../generations/request.js';
import { isObject } from '../../vendors/answers.js';
import type { WebhookTargetPolicy } from '../../security/webhook-targets.js';

/** OpenAI's default model, used when a create names none. */
export const defaultOpenAIModel = 'sora-2';

export const createSchema = z
  .object({
    prompt: z.string().min(1).max(32_000),
    model: z.string().min(1).max(200).optional(),
    // OpenAI sends seconds as a string ("8"); a number from a hand-written JSON body means the same.
    seconds: z
      .union([
        z.string().regex(/^[1-9]\d{0,2}$/, 'seconds must be a whole number of seconds, such as "8"'),
        z.number().int().min(1),
      ])
      .transform(Number)
      .refine((n) => n <= 600, 'seconds must be at most 600')
      .optional(),
    size: z.string().optional(),
    input_reference: z
      .object({ image_url: z.string().min(1).optional(), file_id: z.string().min(1).optional() })
      .strict()
      .optional(),
    /** Reelay's extension: vendor-specific fields, as on the generations surface. Multipart sends it as JSON text. */
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const remixSchema = z.object({ prompt: z.string().min(1).max(32_000) }).strict();

export const listQuerySchema = z
  .object({
    after: z.string().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    order: z.enum(['asc', 'desc']).default('desc'),
  })
  .strict();

export const contentQuerySchema = z
  .object({
    variant: z.enum(['video', 'thumbnail', 'spritesheet']).default('video'),
    /** Reelay's extension: which video of a task with n > 1 (0-based). */
    index: z.coerce.number().int().min(0).max(3).optional(),
    /** A signed content link (content/links.ts): expiry in unix seconds, and its signature. */
    expires: z.coerce.number().int().optional(),
    signature: z.string().min(1).max(100).optional(),
  })
  .strict();

/** A file from a multipart form. */
export interface UploadedFile {
  fieldname: string;
  data: Buffer;
  mimeType: string;
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) throw invalidRequestFrom(parsed.error);
  return parsed.data;
}

/** `targets` refuses a metadata.callback_url Reelay must not POST to, as on the generations surface. */
export function parseOpenAICreate(
  body: unknown,
  file: UploadedFile | null,
  targets: WebhookTargetPolicy,
): VideoRequest {
  if (!isObject(body))
    throw new InvalidRequestError('The request body must be a JSON object or a multipart form', null);
  if (file && file.fieldname !== 'input_reference')
    throw new InvalidRequestError(`${file.fieldname} cannot be a file`, file.fieldname);
  const req = parseWith(createSchema, body);
  const reference = req.input_reference;
  if (file && reference) {
    throw new InvalidRequestError(
      'input_reference is given twice: send a file or an image_url, not both',
      'input_reference',
    );
  }
  if (reference?.file_id !== undefined) {
    throw new InvalidRequestError(
      'input_reference.file_id is not supported: Reelay has no Files API; upload the image or give input_reference.image_url',
      'input_reference.file_id',
      'unsupported_parameter',
    );
  }
  if (reference && reference.image_url === undefined) {
    throw new InvalidRequestError(
      'input_reference needs an image_url (or send the image as a file)',
      'input_reference.image_url',
    );
  }
  const request = parseGenerationsRequest(
    {
      model: req.model ?? defaultOpenAIModel,
      prompt: req.prompt,
      duration: req.seconds,
      size: req.size,
      metadata: req.metadata,
    },
    targets,
  );
  if (file) {
    // A declared image type is kept; anything else (application/octet-stream) is recognised from the bytes.
    const base64 = file.data.toString('base64');
    request.image = parseImage(
      file.mimeType.startsWith('image/') ? `data:${file.mimeType};base64,${base64}` : base64,
      'input_reference',
    );
  } else if (reference?.image_url !== undefined) {
    request.image = parseImage(reference.image_url, 'input_reference.image_url');
  }
  return request;
}

export function parseOpenAIRemix(body: unknown): { prompt: string } {
  if (!isObject(body))
    throw new InvalidRequestError('The request body must be a JSON object or a multipart form', null);
  return parseWith(remixSchema, body);
}

/** The unified request's field names, as this surface calls them. */
const openaiParamNames: Record<string, string> = {
  duration: 'seconds',
  width: 'size',
  height: 'size',
  image: 'input_reference',
};

/** An error raised by shared code (core, adapters), naming the field as an OpenAI client knows it. */
export function inOpenAITerms(err: unknown): unknown {
  // OpenAI reports money trouble as 429 insufficient_quota; its SDK maps that to RateLimitError.
  if (err instanceof ApiError && err.type === 'insufficient_balance_error') {
    return new ApiError(429, 'insufficient_quota', err.message, null, 'insufficient_quota');
  }
  if (!(err instanceof ApiError) || !err.param) return err;

  const renamed = openaiParamNames[err.param];
  return renamed ? new ApiError(err.status, err.type, err.message, renamed, err.code) : err;
}
