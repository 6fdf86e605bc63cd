/**
 * Secrets at rest (vendor credentials, webhook signing secrets), sealed with AES-256-GCM under a key derived from
 * REELAY_SECRET: HKDF-SHA256 when the secret is a generated random key, scrypt first when it is a passphrase.
 * Each sealed value is bound to its row and column (GCM associated data): copied to another row it does not open.
 * The format names the key that sealed it, `v2:<key id>:<base64(iv ‖ tag ‖ ciphertext)>`, so that after a rotation
 * values sealed under REELAY_SECRET_PREVIOUS still open until they are re-sealed (`npm run reseal`). Values of the
 * first format, `v1:` (the secret's SHA-256 as key, no binding), still open.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, scryptSync, randomBytes } from 'node:crypto';

/** Where a sealed value lives: it opens only there. */
export interface SealedPlace {
  table: 'channels' | 'api_keys';
  id: string;
  column: string;
}

export const credentialsPlace = (channelId: string): SealedPlace => ({
  table: 'channels',
  id: channelId,
  column: 'credentials',
});
export const webhookSecretPlace = (keyId: string): SealedPlace => ({
  table: 'api_keys',
  id: keyId,
  column: 'webhook_secret',
});

interface SealingKey {
  id: string;
  key: Buffer;
  /** The key of the `v1:` format: the secret's SHA-256. */
  v1Key: Buffer;
}

/** A secret Reelay generated (64 hex digits, 256 random bits) needs no stretching; anything else is a passphrase. */
const generatedSecret = /^[0-9a-f]{64}$/i;

export function deriveSealingKey(secret: string): SealingKey {
  const material = generatedSecret.test(secret)
    ? Buffer.from(secret, 'hex')
    : scryptSync(secret, 'reelay passphrase v2', 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  const key = Buffer.from(hkdfSync('sha256', material, 'reelay', 'secrets at rest v2', 32));
  return {
    id: createHash('sha256').update(key).digest('hex').slice(0, 8),
    key,
    v1Key: createHash('sha256').update(secret).digest(),
  };
}

const associatedData = (place: SealedPlace) =>
  Buffer.from(`reelay:${place.table}:${place.id}:${place.column}`);

export class Sealer {
  private readonly current: SealingKey;
  private readonly all: SealingKey[];

  /** `secret` seals; it and each of `previous` open. */
  constructor(secret: string, previous: string[] = []) {
    this.current = deriveSealingKey(secret);
    this.all = [this.current, ...previous.map(deriveSealingKey)];
  }

  seal(value: unknown, place: SealedPlace): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(associatedData(place));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
    return `v2:${this.current.id}:${sealed}`;
  }

  open(sealed: string, place: SealedPlace): unknown {
    const [version, keyId, body] = sealed.split(':');
    if (version === 'v1' && keyId !== undefined && body === undefined) return this.openV1(keyId);
    const key = this.all.find((k) => k.id === keyId);
    if (version !== 'v2' || body === undefined) throw new Error('unknown sealed format');
    if (!key)
      throw new Error(`sealed under key ${keyId}, which is neither REELAY_SECRET nor REELAY_SECRET_PREVIOUS`);
    return decrypt(key.key, Buffer.from(body, 'base64'), associatedData(place));
  }

  /** True when the value is not yet sealed under the current key in the current format. */
  isStale(sealed: string): boolean {
    return !sealed.startsWith(`v2:${this.current.id}:`);
  }

  private openV1(body: string): unknown {
    const raw = Buffer.from(body, 'base64');
    for (const { v1Key } of this.all) {
      try {
        return decrypt(v1Key, raw, null);
      } catch {
        // sealed under another of the secrets
      }
    }
    throw new Error('a v1 sealed value that none of the secrets opens');
  }
}

function decrypt(key: Buffer, raw: Buffer, aad: Buffer | null): unknown {
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(raw.subarray(12, 28));
  const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as unknown;
}
