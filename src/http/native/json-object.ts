/** The native surfaces' bodies: a JSON object, parsed with the surface's schema (a 400 naming the field otherwise). */
import type { z } from 'zod';
import { InvalidRequestError } from '../../errors.js';
import { parseWith } from '../openai/request.js';

export function parseJsonObject<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object', null);
  }
  return parseWith(schema, body);
}
