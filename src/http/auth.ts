/** API-key authentication for the public surfaces: `Authorization: Bearer sk-…`. */
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { AuthenticationError, RateLimitError } from '../errors.js';
import type { Caller } from '../tasks/submit.js';
import type { ApiKeyRow } from '../store/schema.js';
import { sha256Hex } from '../security/secrets.js';
import type { FailedAuthThrottle } from '../security/auth-throttle.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

const bearer = ['Bearer'] as const;

export function bearerToken(request: FastifyRequest): string | null {
  return authorizationToken(request, bearer);
}

/** The token of `Authorization: <scheme> <token>` for one of `schemes` (Vidu's clients send `Token`). */
export function authorizationToken(request: FastifyRequest, schemes: readonly string[]): string | null {
  return tokenOf(request.headers.authorization, schemes);
}

function tokenOf(header: string | undefined, schemes: readonly string[]): string | null {
  if (!header) return null;
  const match = /^(\w+)\s+(\S+)\s*$/.exec(header);
  const scheme = match?.[1]!.toLowerCase();
  return match && schemes.some((s) => s.toLowerCase() === scheme) ? match[2]! : null;
}

/** Only what could be a key is hashed and looked up. */
const looksLikeKey = (token: string) => token.startsWith('sk-') && token.length <= 200;

/** Why a key found is refused now (revoked, expired); null when it is good. */
function refusalOf(row: ApiKeyRow): AuthenticationError | null {
  if (row.revoked_at !== null)
    return new AuthenticationError('This API key has been revoked', 'revoked_api_key');
  if (row.expires_at !== null && row.expires_at <= Date.now())
    return new AuthenticationError('This API key has expired', 'expired_api_key');
  return null;
}

/**
 * Runs a credential check under the failed-authentication throttle: an address over its budget of failures is
 * refused before the check (no lookup), and every failed check counts against it.
 */
export async function throttled<T>(
  throttle: FailedAuthThrottle,
  request: FastifyRequest,
  check: () => T | Promise<T>,
): Promise<T> {
  const wait = throttle.retryAfterSeconds(request.ip);
  if (wait !== null)
    throw new RateLimitError(
      `Too many failed authentication attempts from this address; try again in ${wait} s`,
      wait,
      'too_many_failed_authentications',
    );
  try {
    return await check();
  } catch (err) {
    if (err instanceof AuthenticationError) throttle.recordFailure(request.ip);
    throw err;
  }
}

interface KnownKey {
  row: ApiKeyRow;
  caller: Caller;
}

/**
 * Checks API keys, keeping the keys it found in memory for `ttlMs` (CACHE_TTL_MS): every request authenticates,
 * and the database lookup was the largest part of answering a task query (docs/benchmarks.md). A key revoked or

 * changed is re-read at once (`forget`: on this instance directly, on others when PostgreSQL's notice arrives),
 * and within `ttlMs` should a notice be missed. Expiry is checked on every request. Unknown key hashes are
 * remembered for a short while too (`unknownTtlMs`), so a guesser repeating keys costs no lookups: a new key is
 * random, so nobody can have tried it before it was created (a key made elsewhere works at once). Failures are
 * throttled per client address (security/auth-throttle.ts).
 */
export class ApiKeyAuth {
  private readonly known: LRUCache<string, KnownKey> | null;
  private readonly unknown: LRUCache<string, true>;
  /** Counts `forget`s: a lookup that started before one must not be remembered (it may predate the change). */
  private generation = 0;
  /**
   * Per connection, its last Authorization header and the hash of the key it names (null: none). A client sends
   * one key on every request of a connection, and reading and hashing it was the largest part of what an answer
   * from memory costs (docs/benchmarks.md); it goes with the connection.
   */
  private readonly keyHashes = new WeakMap<object, { authorization: string; keyHash: string | null }>();

  constructor(
    /** The key with this SHA-256 hash, from the database. */
    private readonly findKeyByHash: (keyHash: string) => Promise<ApiKeyRow | undefined>,
    ttlMs: number,
    private readonly throttle: FailedAuthThrottle,
    { maxEntries = 10_000, unknownTtlMs = 60_000 } = {},
  ) {
    this.known = ttlMs > 0 ? new LRUCache({ max: maxEntries, ttl: ttlMs }) : null;
    this.unknown = new LRUCache({ max: maxEntries, ttl: unknownTtlMs });
  }

  /** `schemes`: the Authorization schemes the surface takes (Bearer everywhere; Vidu's native routes add Token). */
  authenticate(request: FastifyRequest, schemes: readonly string[] = bearer): Promise<Caller> {
    return throttled(this.throttle, request, () => this.check(request, schemes));
  }

  /**
   * The caller of a Bearer key held in memory, when `authenticate` would let it through now: the key is good and
   * no address is refused by the throttle (so the request's address, which Fastify reads, does not matter).
   * Undefined in every other case: `authenticate` decides. For answers made before Fastify's router
   * (generations/task-query.ts), on `connection` (the request's socket).
   */
  knownCaller(authorization: string | undefined, connection: object): Caller | undefined {
    if (this.throttle.refusesAnyone() || authorization === undefined) return undefined;
    let named = this.keyHashes.get(connection);
    if (named?.authorization !== authorization) {
      const token = tokenOf(authorization, bearer);
      named = { authorization, keyHash: token && looksLikeKey(token) ? sha256Hex(token) : null };
      this.keyHashes.set(connection, named);
    }
    const key = named.keyHash === null ? undefined : this.known?.get(named.keyHash);
    return key && !refusalOf(key.row) ? key.caller : undefined;
  }

  private async check(request: FastifyRequest, schemes: readonly string[]): Promise<Caller> {
    const token = authorizationToken(request, schemes);
    if (!token)
      throw new AuthenticationError('Missing API key: send Authorization: Bearer sk-…', 'missing_api_key');
    if (!looksLikeKey(token)) throw new AuthenticationError('Invalid API key');
    const keyHash = sha256Hex(token);
    let key = this.known?.get(keyHash);
    if (!key) {
      if (this.unknown.has(keyHash)) throw new AuthenticationError('Invalid API key');
      const generation = this.generation;
      const row = await this.findKeyByHash(keyHash);
      if (!row) {
        this.unknown.set(keyHash, true);
        throw new AuthenticationError('Invalid API key');
      }
      key = {
        row,
        caller: {
          userId: row.user_id,
          keyId: row.id,
          models: row.models ? (JSON.parse(row.models) as string[]) : null,
        },
      };
      if (generation === this.generation) this.known?.set(keyHash, key);
    }
    const refusal = refusalOf(key.row);
    if (refusal) throw refusal;
    return key.caller;
  }

  /** After a key changed (revoked, edited), here or on another instance: the next request reads keys afresh. */
  forget(): void {
    this.generation++;
    this.known?.clear();
  }
}
