/** STORAGE_URL and its companions: what starts, and the start-up error for what cannot work. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { parseStorageUrl } from './storage-url.js';

describe('STORAGE_URL', () => {
  it('names a bucket, with or without a prefix', () => {
    expect(parseStorageUrl('s3://videos')).toEqual({ bucket: 'videos', prefix: '' });
    expect(parseStorageUrl('s3://videos.example/reelay/prod/')).toEqual({
      bucket: 'videos.example',
      prefix: 'reelay/prod',
    });
  });

  it('refuses at start-up what is not a bucket, naming the setting', () => {
    const start = (env: Record<string, string>) => () => loadConfig({ AWS_REGION: 'eu-west-1', ...env });
    for (const url of [
      '/var/lib/reelay',
      'https://s3.amazonaws.com/videos',
      's3://',
      's3://Videos_Bucket',
      's3://ok-bucket/../up',
      's3://ok-bucket/a b',
    ])
      expect(start({ STORAGE_URL: url }), url).toThrow(/STORAGE_URL: must look like s3:\/\/bucket/);
  });

  it('needs a region (or an endpoint), and keys in pairs', () => {
    expect(() => loadConfig({ STORAGE_URL: 's3://videos' })).toThrow(
      /AWS_REGION must be set with STORAGE_URL/,
    );
    expect(
      loadConfig({ STORAGE_URL: 's3://videos', AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }).STORAGE_URL,
    ).toBe('s3://videos');
    expect(() =>
      loadConfig({ STORAGE_URL: 's3://videos', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIA' }),
    ).toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/);
    expect(() => loadConfig({ AWS_ENDPOINT_URL: 'minio:9000' })).toThrow(/AWS_ENDPOINT_URL/);
  });

  it('redirects only to an object store', () => {
    expect(() => loadConfig({ CONTENT_DELIVERY: 'redirect' })).toThrow(
      /CONTENT_DELIVERY=redirect needs STORAGE_URL/,
    );
    expect(() => loadConfig({ CONTENT_DELIVERY: 'presigned' })).toThrow(/CONTENT_DELIVERY/);
    expect(
      loadConfig({ CONTENT_DELIVERY: 'redirect', STORAGE_URL: 's3://videos', AWS_REGION: 'eu-west-1' })
        .CONTENT_DELIVERY,
    ).toBe('redirect');
  });
});
