/** The Idempotency-Key header, shared by both submit routes. */
import type { FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../errors.js';
import type { Idempotency } from '../tasks/submit.js';
import { sha256Hex } from '../security/secrets.js';

const keyPattern = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so the same request always has the same fingerprint. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Null without the header; a 400 for a malformed one. `normalized` is the validated request. */
export function idempotencyOf(request: FastifyRequest, normalized: unknown): Idempotency | null {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return null;
  if (typeof header !== 'string' || !keyPattern.test(header)) {
    throw new InvalidRequestError(
      'Idempotency-Key must be 1–255 visible ASCII characters',
      'Idempotency-Key',
    );
  }
  return idempotencyKeyed(header, normalized);
}

/** An idempotency key Reelay derives itself (Kling's external_task_id), with the request's fingerprint. */
export function idempotencyKeyed(key: string, normalized: unknown): Idempotency {
  return { key, requestHash: sha256Hex(canonicalJson(normalized)) };
}
