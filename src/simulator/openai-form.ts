/**
 * How the OpenAI simulator reads a request body: JSON as is, or multipart/form-data the way the official SDK
 * writes it (openai-node src/internal/uploads.ts: scalars as `key=value`, nested objects as bracket keys like
 * `input_reference[image_url]`, a file under its field name). Needs @fastify/multipart registered on the plugin.
 */
import type { FastifyRequest } from 'fastify';

export interface UploadedImage {
  fieldname: string;
  mimeType: string;
  bytes: number;
}

/** A refusal in OpenAI's terms, rendered by the plugin's error handler as {error: {message, type, param, code}}. */
export class OpenAIRefusal extends Error {
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly param: string | null,
    readonly code: string | null = 'invalid_value',
  ) {
    super(message);
  }
}

/** The body as one object (bracket keys nested again), plus the uploaded file if there was one. */
export async function readOpenAIBody(
  request: FastifyRequest,
): Promise<{ fields: unknown; file: UploadedImage | null }> {
  if (!request.isMultipart()) return { fields: request.body, file: null };
  const fields: Record<string, unknown> = {};
  let file: UploadedImage | null = null;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        file = { fieldname: part.fieldname, mimeType: part.mimetype, bytes: data.length };
      } else if (part.valueTruncated) {
        throw new OpenAIRefusal(`'${part.fieldname}' is too long.`, part.fieldname);
      } else setField(fields, part.fieldname, String(part.value));
    }
  } catch (err) {
    // Limits (413) and refusals keep their status; anything else the parser trips on is a malformed body.
    if ((err as { statusCode?: number }).statusCode) throw err;
    throw new OpenAIRefusal(`The multipart body is malformed: ${(err as Error).message}`, null, null);
  }
  return { fields, file };
}

/** Puts `name=value` into the object, `outer[inner]` one level down; a name given twice is refused. */
function setField(fields: Record<string, unknown>, name: string, value: string): void {
  const [, outer, inner] = /^([^[\]]+)(?:\[([^[\]]+)\])?$/.exec(name) ?? [];
  if (!outer) throw new OpenAIRefusal(`Unknown parameter: '${name}'.`, name, 'unknown_parameter');
  const existing = fields[outer];
  if (inner === undefined) {
    if (existing !== undefined) throw new OpenAIRefusal(`'${outer}' is given twice.`, outer);
    fields[outer] = value;
    return;
  }
  const nested = existing ?? {};
  if (typeof nested !== 'object' || Object.hasOwn(nested, inner))
    throw new OpenAIRefusal(`'${name}' is given twice.`, name);
  fields[outer] = { ...nested, [inner]: value };
}
