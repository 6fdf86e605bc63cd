/**
 * The admin audit trail. Every change made through /admin/v1 (any method but GET) that succeeds is recorded before
 * its answer is sent: who (which credential: the admin token or a console session signed in with it, named by a
 * fingerprint, never the token), what (method and path), the resource before (its GET, where it has one) and after
 * (the answer), secrets masked. Listed at GET /admin/v1/audit-log.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidRequestError } from '../../errors.js';
import { newId, sha256Hex } from '../../security/secrets.js';
import type { Gateway } from '../../gateway.js';
import { bearerToken } from '../auth.js';
import { toSeconds } from './validation.js';
import { parseWith } from '../openai/request.js';
import { apiDoc } from '../openapi/route-doc.js';

declare module 'fastify' {
  interface FastifyRequest {
    auditBefore?: unknown;
  }
}

/** Field names whose values are secrets: masked wherever they appear in a recorded state. */
const secretFields =
  /^(key|webhook_secret|credentials|secret|secret_key|secret_access_key|api_key|token|password)$/i;

export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, inner]) => [
      name,
      secretFields.test(name) && inner !== null && inner !== 'set' ? '***' : maskSecrets(inner),
    ]),
  );
}

interface BeforeReading {
  /** The admin GET that shows the resource a change touches. */
  url: string;
  /** The resource itself, out of that GET's answer. */
  pick: (answer: unknown) => unknown;
}

const whole = (answer: unknown) => answer;
const listEntry = (id: string) => (answer: unknown) =>
  (answer as { data: { id: string }[] }).data.find((entry) => entry.id === id) ?? null;

/**
 * Where each kind of change reads its "before": a key (edited, revoked, given a new webhook secret) from its user's
 * key list, a balance change from the user, a channel test from the channel; anything else that is not a creation
 * from the GET of its own path (channels, prices).
 */
const beforeReadings: { pattern: RegExp; reading: (match: RegExpMatchArray) => BeforeReading }[] = [
  {
    pattern: /^(\/admin\/v1\/users\/[^/]+)\/keys\/([^/]+)(\/webhook-secret)?$/,
    reading: ([, user, key]) => ({ url: `${user}/keys`, pick: listEntry(key!) }),
  },
  {
    pattern: /^(\/admin\/v1\/users\/[^/]+)\/(topup|adjustments)$/,
    reading: ([, user]) => ({ url: user!, pick: whole }),
  },
  {
    pattern: /^(\/admin\/v1\/channels\/[^/]+)\/test$/,
    reading: ([, channel]) => ({ url: channel!, pick: whole }),
  },
];

function beforeReading(method: string, path: string): BeforeReading | null {
  for (const { pattern, reading } of beforeReadings) {
    const match = path.match(pattern);
    if (match) return reading(match);
  }
  return method === 'POST' ? null : { url: path, pick: whole };
}

/** The console says it is the console (console/src/api.ts); either way the credential is the admin token. */
function actorOf(request: FastifyRequest): string {
  const via = request.headers['x-reelay-client'] === 'console' ? 'console' : 'token';
  return `${via}:${sha256Hex(bearerToken(request) ?? '').slice(0, 8)}`;
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z.string().min(1).max(100).optional(),
  })
  .strict();

/** Adds the trail's hooks to the admin scope (before its routes are registered, so they cover them all). */
export function installAdminAuditTrail(app: FastifyInstance, gateway: Gateway): void {
  const { admin } = gateway;
  const isChange = (request: FastifyRequest) => request.method !== 'GET' && request.method !== 'HEAD';

  /** The resource as its read shows it, before the change; null for a creation (nothing was there). */
  async function stateBefore(request: FastifyRequest): Promise<unknown> {
    const reading = beforeReading(request.method, request.url.split('?')[0]!);
    if (!reading) return null;
    const res = await app.inject({
      method: 'GET',
      url: reading.url,
      headers: { authorization: request.headers.authorization ?? '' },
    });
    return res.statusCode === 200 ? reading.pick(res.json()) : null;
  }

  async function record(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
    const path = request.url.split('?')[0]!;
    await admin.insertAuditEntry({
      id: newId('aud'),
      at: Date.now(),
      actor: actorOf(request),
      action: `${request.method} ${path}`,
      target: path.replace(/^\/admin\/v1/, ''),
      before: request.auditBefore == null ? null : JSON.stringify(maskSecrets(request.auditBefore)),
      after:
        request.method === 'DELETE' || reply.statusCode === 204
          ? null
          : JSON.stringify(maskSecrets(parseJson(payload))),
    });
  }

  app.addHook('preHandler', async (request) => {
    if (isChange(request)) request.auditBefore = await stateBefore(request);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (isChange(request) && reply.statusCode < 300) await record(request, reply, payload);
    return payload;
  });

  const auditLogSchema = z.object({
    data: z.array(
      z.object({
        id: z.string(),
        at: z.number().int().nullable(),
        actor: z.string().meta({ description: 'token:… or console:…, a fingerprint of the credential.' }),
        action: z.string().meta({ description: 'Method and path.' }),
        target: z.string(),
        before: z.unknown().meta({ description: 'The resource before (its GET), secrets masked.' }),
        after: z.unknown().meta({ description: 'The answer, secrets masked.' }),
      }),
    ),
    has_more: z.boolean(),
  });
  const auditLogDoc = {
    tag: 'admin',
    security: 'adminToken',
    summary: 'Every change made through the admin API, newest first',
    query: listQuery,
    responses: { 200: { description: 'A page of entries', schema: auditLogSchema } },
  } as const;
  app.get('/audit-log', apiDoc(auditLogDoc), async (request) => {
    const query = parseWith(listQuery, request.query);
    const page = await admin.listAuditEntries({ limit: query.limit, before: query.before ?? null });
    if ('unknownCursor' in page)
      throw new InvalidRequestError(`before: no audit entry ${query.before}`, 'before');
    return {
      data: page.entries.map((entry) => ({
        id: entry.id,
        at: toSeconds(entry.at),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        before: parseJson(entry.before),
        after: parseJson(entry.after),
      })),
      has_more: page.hasMore,
    };
  });
}
