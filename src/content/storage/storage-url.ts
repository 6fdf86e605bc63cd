/** STORAGE_URL: where re-hosted content goes when it is not the local directory (`s3://bucket/prefix`). */

export interface BucketLocation {
  bucket: string;
  /** Prepended to every key, without slashes at either end; empty for the bucket's root. */
  prefix: string;
}

// Bucket names: 3–63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const prefixSegment = /^[A-Za-z0-9_.-]+$/;

/** The bucket and prefix of `s3://bucket/prefix`, or why the URL is not one (a start-up error). */
export function parseStorageUrl(value: string): BucketLocation | { problem: string } {
  const example = 'must look like s3://bucket or s3://bucket/prefix';
  const match = /^s3:\/\/([^/]*)\/?(.*)$/.exec(value);
  if (!match) return { problem: `${example}; a local directory is CONTENT_DIR` };
  const [, bucket = '', rawPrefix = ''] = match;
  if (!bucketName.test(bucket))
    return { problem: `${example}: "${bucket}" is not a bucket name (3-63 of a-z 0-9 . -)` };
  const prefix = rawPrefix.replace(/\/+$/, '');
  if (
    prefix !== '' &&
    !prefix.split('/').every((segment) => prefixSegment.test(segment) && !/^\.+$/.test(segment))
  )
    return {
      problem: `${example}: the prefix "${rawPrefix}" may hold only A-Z a-z 0-9 _ . - between slashes`,
    };
  return { bucket, prefix };
}
