/** Kling authenticates every request with a short-lived HS256 JWT minted from the access/secret key pair. */
import { SignJWT } from 'jose';
import { createHash } from 'node:crypto';

export interface KlingCredentials {
  access_key: string;
  secret_key: string;
}

const tokenLifetimeSeconds = 1800;
/** Kling rejects tokens whose nbf is in its future; backdating tolerates small clock skew. */
const clockSkewSeconds = 5;

export async function mintKlingToken(
  credentials: KlingCredentials,
  nowSeconds = Math.floor(Date.now() / 1000),
) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(credentials.access_key)
    .setExpirationTime(nowSeconds + tokenLifetimeSeconds)
    .setNotBefore(nowSeconds - clockSkewSeconds)
    .sign(new TextEncoder().encode(credentials.secret_key));
}

/** A token is reused until this long before it expires; minting one costs more than a poll (docs/benchmarks.md). */
const renewBeforeExpirySeconds = 300;
const keptTokens = new Map<string, { token: string; issuedAt: number }>();

/** Digests of credentials objects seen (the channel cache hands out the same object until it reloads). */
const digests = new WeakMap<KlingCredentials, string>();

/** A valid token for these credentials: the one minted for them recently, or a new one. */
export async function klingToken(
  credentials: KlingCredentials,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<string> {
  // Keyed by a digest, so the secret itself is not kept a second time; hashing on every call showed in the
  // poller's profile.
  let key = digests.get(credentials);
  if (key === undefined) {
    key = createHash('sha256').update(`${credentials.access_key}\0${credentials.secret_key}`).digest('hex');
    digests.set(credentials, key);
  }
  const kept = keptTokens.get(key);
  const age = kept ? nowSeconds - kept.issuedAt : -1;
  if (kept && age >= 0 && age < tokenLifetimeSeconds - renewBeforeExpirySeconds) return kept.token;
  const token = await mintKlingToken(credentials, nowSeconds);
  // Channels are few; a key rotated away should not stay forever.
  if (keptTokens.size >= 100) keptTokens.clear();
  keptTokens.set(key, { token, issuedAt: nowSeconds });
  return token;
}
