/**
 * Request bodies that come as JSON or as a multipart form, the way OpenAI's SDKs send them: nested fields with
 * bracket keys (`input_reference[image_url]`) and at most one file. Needs @fastify/multipart in the plugin.
 */
import type { FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../../errors.js';
import type { UploadedFile } from './request.js';

/** A JSON body as is; a multipart form (what the SDK sends) as the same object, plus its one file. */
export async function readBody(
  request: FastifyRequest,
): Promise<{ fields: unknown; file: UploadedFile | null }> {
  if (!request.isMultipart()) return { fields: request.body, file: null };
  const entries: [string, string][] = [];
  let file: UploadedFile | null = null;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        file = { fieldname: part.fieldname, data: await part.toBuffer(), mimeType: part.mimetype };
      } else {
        if (part.valueTruncated)
          throw new InvalidRequestError(`${part.fieldname} is too long`, part.fieldname);
        entries.push([part.fieldname, String(part.value)]);
      }
    }
  } catch (err) {
    // The multipart parser's own errors (a truncated body, a bad boundary) are the client's; limits keep their status.
    if (err instanceof InvalidRequestError || (err as { statusCode?: number }).statusCode) throw err;
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
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidRequestError(`${param} must be a JSON object`, param);
  }
}
