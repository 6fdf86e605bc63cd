/** Admin request parsing: zod schemas whose failures become 400s naming the field. */
import type { z } from 'zod';
import { invalidRequestFrom } from '../generations/request.js';
import { InvalidRequestError } from '../../errors.js';

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object', null);
  }
  const parsed = schema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw invalidRequestFrom(parsed.error);
  return parsed.data;
}

export const toSeconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));
