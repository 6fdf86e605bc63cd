/**
 * Request bodies that come as JSON or as a multipart form, the way OpenAI's SDKs send them: nested fields with
 * bracket keys (`input_reference[image_url]`) and at most one file. Needs @fastify/multipart in the plugin.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError, InvalidRequestError } from '../../errors.js';
import { maxImageBytes } from '../../vendors/image.js';
import type { UploadedFile } from './request.js';
import { nestsDeeperThan } from '../../security/json-depth.js';
import { tooDeep } from '../json-body.js';

/**
 * The multipart parser's limits: one file no larger than an image, a text field no longer than the longest one
 * needs (an image as a data URL in `input_reference[image_url]`), and no more fields than the forms have.
 */
export function multipartLimits(bodyLimit: number) {
  return {
    fileSize: Math.min(maxImageBytes, bodyLimit),
    fieldSize: Math.min(Math.ceil(maxImageBytes / 3) * 4 + 1024, bodyLimit),
    files: 1,
    fields: 16,
    parts: 17,
  };
}

function bodyTooLarge(limit: number): ApiError {
  return new ApiError(
    413,
    'invalid_request_error',
    `The request body is larger than ${limit} bytes`,
    null,
    'body_too_large',
  );
}

/**
 * A JSON body as is; a multipart form (what the SDK sends) as the same object, plus its one file. A form is held
 * to `bodyLimit` in all (by its Content-Length before anything is read, and by the bytes of its parts as they
 * arrive), so a form never costs more memory than a JSON body may.
 */
export async function readBody(
  request: FastifyRequest,
  bodyLimit: number,
): Promise<{ fields: unknown; file: UploadedFile | null }> {
  if (!request.isMultipart()) return { fields: request.body, file: null };
  if (Number(request.headers['content-length']) > bodyLimit) throw bodyTooLarge(bodyLimit);
  const entries: [string, string][] = [];
  let file: UploadedFile | null = null;
  let received = 0;
  const count = (bytes: number) => {
    received += bytes;
    if (received > bodyLimit) {
      // The parser stops here; the rest of the upload is read and dropped, so the answer can be sent.
      request.raw.unpipe();
      request.raw.resume();
      throw bodyTooLarge(bodyLimit);
    }
  };
  try {
    for await (const part of request.parts()) {
      count(Buffer.byteLength(part.fieldname));
      if (part.type === 'file') {
        file = { fieldname: part.fieldname, data: await part.toBuffer(), mimeType: part.mimetype };
        count(file.data.length);
      } else {
        if (part.valueTruncated)
          throw new InvalidRequestError(`${part.fieldname} is too long`, part.fieldname);
        const value = String(part.value);
        count(Buffer.byteLength(value));
        entries.push([part.fieldname, value]);
      }
    }
  } catch (err) {
    // The multipart parser's own errors (a truncated body, a bad boundary) are the client's; limits keep their status.
    if (err instanceof ApiError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE')
      throw new ApiError(
        413,
        'invalid_request_error',
        `The file is larger than ${maxImageBytes} bytes`,
        'input_reference',
        'file_too_large',
      );
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT')
      throw new InvalidRequestError(
        'The form has more fields or files than this request takes',
        null,
        'too_many_parts',
      );
    if ((err as { statusCode?: number }).statusCode) throw err;
    throw new InvalidRequestError(
      `The multipart body is malformed: ${(err as Error).message}`,
      null,
      'invalid_multipart',
    );
  }
  return { fields: formObject(entries), file };
}

/**
 * Multipart fields back into the object they came from: the SDK writes nested fields with bracket keys
 * (`input_reference[image_url]`), and `metadata` may come as JSON text.
 */
function formObject(entries: [string, string][]): Record<string, unknown> {
  const top = new Map<string, string | Map<string, string>>();
  for (const [name, value] of entries) {
    const match = /^([^[\]]+)(?:\[([^[\]]+)\])?$/.exec(name);
    if (!match) throw new InvalidRequestError(`Unknown parameter: ${name}`, name, 'unknown_parameter');
    const [, key, nestedKey] = match as unknown as [string, string, string | undefined];
    const existing = top.get(key);
    if (nestedKey === undefined) {
      if (existing !== undefined) throw new InvalidRequestError(`${key} is given twice`, key);
      top.set(key, value);
    } else {
      if (typeof existing === 'string') throw new InvalidRequestError(`${key} is given twice`, key);
      const nested = existing ?? new Map<string, string>();
      if (nested.has(nestedKey))
        throw new InvalidRequestError(`${name} is given twice`, `${key}.${nestedKey}`);
      top.set(key, nested.set(nestedKey, value));
    }
  }
  const body: Record<string, unknown> = Object.fromEntries(
    [...top].map(([key, value]) => [key, typeof value === 'string' ? value : Object.fromEntries(value)]),
  );
  if (typeof body.metadata === 'string') body.metadata = jsonObject(body.metadata, 'metadata');
  return body;
}

function jsonObject(text: string, param: string): unknown {
  if (nestsDeeperThan(text)) throw tooDeep(param);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidRequestError(`${param} must be a JSON object`, param);
  }
}
