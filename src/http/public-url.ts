/** The address clients reach Reelay at, for links Reelay hands out. */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

/** PUBLIC_URL when set (behind a proxy it is the only reliable answer), else the host the request came to. */
export function publicBaseUrl(config: Config, request: FastifyRequest): string {
  return config.PUBLIC_URL ?? `${request.protocol}://${request.host}`;
}

/**
 * `publicBaseUrl` of a request Fastify has not seen (generations/task-query.ts): its protocol and host read as
 * Fastify reads them when it trusts no proxy. Undefined when a trusted proxy's X-Forwarded-* headers could decide.
 */
export function bareRequestBaseUrl(config: Config, request: IncomingMessage): string | undefined {
  if (config.PUBLIC_URL !== undefined) return config.PUBLIC_URL;
  if (config.TRUST_PROXY !== false) return undefined;
  const protocol = (request.socket as TLSSocket).encrypted ? 'https' : 'http';
  return `${protocol}://${request.headers.host ?? ''}`;
}
