/**
 * Vertex AI takes an OAuth access token minted from a service account: a JWT signed RS256 with the account's key,
 * exchanged at its `token_uri` (OAuth 2.0 JWT bearer grant, RFC 7523; developers.google.com/identity/protocols/oauth2/service-account
 * "Preparing to make an authorized API call"). Tokens are cached per credentials object until near expiry.
 */
import { importPKCS8, SignJWT } from 'jose';
import { z } from 'zod';
import type { SignContext } from '../adapter.js';
import { isObject } from '../answers.js';
import { CredentialsRefusedError } from '../errors.js';
import { WireError } from '../wire.js';

/** The service-account JSON key file as Google issues it; the fields used here, the rest kept. */
const serviceAccount = z
  .object({
    client_email: z.string().min(1),
    private_key: z.string().includes('PRIVATE KEY'),
    token_uri: z.string().url(),
    private_key_id: z.string().optional(),
  })
  .passthrough();

export const vertexCredentials = z
  .object({
    service_account: serviceAccount,
    project_id: z.string().min(1),
    location: z.string().regex(/^[a-z0-9-]+$/, 'a Google Cloud region such as us-central1'),
    /**
     * Where Vertex writes the videos (gs://bucket/prefix): the operator's bucket, readable by the service account.
     * Without it Vertex returns the video inline in the operation, which Reelay cannot store (see README).
     */
    storage_uri: z
      .string()
      .regex(/^gs:\/\/[^/]+/, 'a gs://bucket/prefix URI')
      .optional(),
    /** Cloud Storage's JSON API, for the download of those videos (storage.googleapis.com unless proxied). */
    storage_base_url: z.string().url().optional(),
  })
  .strict();
export type VertexCredentials = z.infer<typeof vertexCredentials>;

/** The scope Vertex AI and Cloud Storage reads both accept. */
const scope = 'https://www.googleapis.com/auth/cloud-platform';
/** google-auth-library refreshes 5 minutes before expiry; short-lived tokens a quarter of their life before. */
const refreshMarginMs = (lifetimeMs: number) => Math.min(5 * 60_000, lifetimeMs / 4);

interface CachedToken {
  token: string;
  refreshAt: number;
}

const tokens = new WeakMap<VertexCredentials, CachedToken>();
const minting = new WeakMap<VertexCredentials, Promise<string>>();
const keys = new WeakMap<VertexCredentials, Promise<CryptoKey>>();

const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });

async function assertion(credentials: VertexCredentials): Promise<string> {
  const account = credentials.service_account;
  let key = keys.get(credentials);
  if (!key) {
    key = importPKCS8(account.private_key, 'RS256');
    keys.set(credentials, key);
  }
  // One clock reading for both: Google refuses an assertion living longer than an hour, by even a second.
  const issuedAt = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope })
    .setProtectedHeader({
      alg: 'RS256',
      typ: 'JWT',
      ...(account.private_key_id ? { kid: account.private_key_id } : {}),
    })
    .setIssuer(account.client_email)
    .setAudience(account.token_uri)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + 3600)
    .sign(await key);
}

/**
 * Exchanges a fresh assertion for an access token. Throws CredentialsRefusedError when the token endpoint refuses
 * the account (invalid_grant: a revoked key, a deleted account), WireError (retry later) for a passing failure.
 */
async function mint(credentials: VertexCredentials, context: SignContext): Promise<string> {
  const answer = await context.send({
    method: 'POST',
    url: credentials.service_account.token_uri,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: await assertion(credentials),
    }).toString(),
  });
  if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
    const error = isObject(answer.json)
      ? [answer.json.error, answer.json.error_description].filter(Boolean).join(': ')
      : '';
    throw new CredentialsRefusedError(
      `Google's token endpoint refused the service account (HTTP ${answer.status}${error ? `: ${error}` : ''})`,
    );
  }
  const parsed = tokenAnswer.safeParse(answer.json);
  if (answer.status !== 200 || !parsed.success) {
    const error = isObject(answer.json) ? String(answer.json.error ?? '') : '';
    throw new WireError(`Google's token endpoint answered HTTP ${answer.status} ${error}`.trim(), false);
  }
  const lifetimeMs = parsed.data.expires_in * 1000;
  tokens.set(credentials, {
    token: parsed.data.access_token,
    refreshAt: Date.now() + lifetimeMs - refreshMarginMs(lifetimeMs),
  });
  return parsed.data.access_token;
}

/** The account's access token: the cached one until near expiry, else one minted (once for concurrent callers). */
export async function vertexAccessToken(
  credentials: VertexCredentials,
  context: SignContext,
): Promise<string> {
  const cached = tokens.get(credentials);
  if (cached && Date.now() < cached.refreshAt) return cached.token;
  let pending = minting.get(credentials);
  if (!pending) {
    pending = mint(credentials, context).finally(() => minting.delete(credentials));
    minting.set(credentials, pending);
  }
  return pending;
}
