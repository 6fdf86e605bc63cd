/** The address clients reach Reelay at, for links Reelay hands out. */
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

/** PUBLIC_URL when set (behind a proxy it is the only reliable answer), else the host the request came to. */
export function publicBaseUrl(config: Config, request: FastifyRequest): string {
  return config.PUBLIC_URL ?? `${request.protocol}://${request.host}`;
}
