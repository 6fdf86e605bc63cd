/** How every simulator reads a request: where it came from, and the first thing wrong with its body. */
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';

/** The scheme and host the client reached, for the absolute URLs a vendor hands out. */
export function originOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host}`;
}

/** The first problem a schema found, as "path: message" ("body" when it is the whole body). */
export function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.join('.') || 'body'}: ${issue.message}`;
}
