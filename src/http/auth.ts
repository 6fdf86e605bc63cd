/** API-key authentication for the public surfaces: `Authorization: Bearer sk-…`. */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { AuthenticationError } from '../core/errors.js';
import type { Caller } from '../core/submit.js';
import { findApiKeyByHash } from '../store/accounts.js';
import type { Schema } from '../store/schema.js';
import { sha256Hex } from '../security/secrets.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

export async function authenticateApiKey(db: Kysely<Schema>, request: FastifyRequest): Promise<Caller> {
  const token = bearerToken(request);
  if (!token)
    throw new AuthenticationError('Missing API key: send Authorization: Bearer sk-…', 'missing_api_key');
  if (!token.startsWith('sk-') || token.length > 200) throw new AuthenticationError('Invalid API key');
  const key = await findApiKeyByHash(db, sha256Hex(token));
  if (!key) throw new AuthenticationError('Invalid API key');
  if (key.revoked_at !== null)
    throw new AuthenticationError('This API key has been revoked', 'revoked_api_key');
  if (key.expires_at !== null && key.expires_at <= Date.now())
    throw new AuthenticationError('This API key has expired', 'expired_api_key');
  return {
    userId: key.user_id,
    keyId: key.id,
    models: key.models ? (JSON.parse(key.models) as string[]) : null,
  };
}
