/** Kling authenticates every request with a short-lived HS256 JWT minted from the access/secret key pair. */
import { SignJWT } from 'jose';

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
