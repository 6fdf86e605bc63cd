/** The content storage that the configuration names: the local directory by default, a bucket with STORAGE_URL. */
import { join } from 'node:path';
import type { Config } from '../../config.js';
import { LocalDirectoryStorage } from './local.js';
import type { ContentStorage } from './storage.js';
import { parseStorageUrl } from './storage-url.js';

export async function openContentStorage(config: Config): Promise<ContentStorage> {
  if (!config.STORAGE_URL)
    return new LocalDirectoryStorage(config.CONTENT_DIR ?? join(config.REELAY_DATA_DIR, 'content'));
  const location = parseStorageUrl(config.STORAGE_URL);
  if ('problem' in location) throw new Error(`STORAGE_URL ${location.problem}`);
  // The AWS SDK is loaded only by gateways that use it.
  const { S3Storage } = await import('./s3.js');
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = config;
  return new S3Storage({
    location,
    // S3-compatible stores mostly ignore the region, yet SigV4 signs with one.
    region: config.AWS_REGION ?? 'us-east-1',
    endpoint: config.AWS_ENDPOINT_URL,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, sessionToken: config.AWS_SESSION_TOKEN }
        : undefined,
  });
}
