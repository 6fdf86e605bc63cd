/**
 * What request logs (LOG_LEVEL=debug) must not carry: a signed content link's signature works without an API key,
 * and a vendor callback token makes Reelay poll. Both are cut from the URL before a line is written.
 */
import { vendorCallbackPath } from './vendor-callback-tokens.js';

const secretQueryParams = /([?&](?:signature|token|key)=)[^&#]*/gi;
const callbackToken = new RegExp(`^(${vendorCallbackPath}/[^/?#.]*)\\.[^/?#]*`);

export function redactUrl(url: string): string {
  return url.replace(callbackToken, '$1.[redacted]').replace(secretQueryParams, '$1[redacted]');
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request serializer, with the URL redacted. */
export function requestLogView(request: LoggedRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
