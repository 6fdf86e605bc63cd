import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VendorCallbacks } from './vendor-callback-tokens.js';

const secret = 'a-secret-long-enough-for-the-test-0123456789';
const callbacks = new VendorCallbacks(secret, () => 'https://reelay.example/');
const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

describe('vendor callback tokens', () => {
  it('name the job and the channel it was sent to', () => {
    const url = callbacks.urlFor('job_abc123', 'ch_xyz789')!;
    expect(url).toMatch(
      /^https:\/\/reelay\.example\/v1\/vendor-callbacks\/job_abc123\.ch_xyz789\.[\w-]{43}$/,
    );
    expect(callbacks.targetOf(tokenOf(url))).toEqual({ jobId: 'job_abc123', channelId: 'ch_xyz789' });
  });

  it('refuse a token whose job or channel was changed, or made under another secret', () => {
    const token = tokenOf(callbacks.urlFor('job_abc123', 'ch_xyz789')!);
    expect(callbacks.targetOf(token.replace('ch_xyz789', 'ch_other1'))).toBeNull();
    expect(callbacks.targetOf(token.replace('job_abc123', 'job_abc124'))).toBeNull();
    const elsewhere = new VendorCallbacks(`${secret}-other`, () => 'https://reelay.example');
    expect(elsewhere.targetOf(token)).toBeNull();
    expect(callbacks.targetOf('job_abc123')).toBeNull();
    expect(callbacks.targetOf('')).toBeNull();
  });

  it('still accept the tokens made before the channel was carried (jobs in flight across an upgrade)', () => {
    // The earlier format: the job id and an HMAC of it, under the same derived key.
    const key = createHash('sha256').update(`reelay vendor callbacks\0${secret}`).digest();
    const mac = createHmac('sha256', key).update('job_old456').digest('base64url');
    expect(callbacks.targetOf(`job_old456.${mac}`)).toEqual({ jobId: 'job_old456', channelId: null });
  });

  it('give no URL while Reelay has no public address', () => {
    expect(new VendorCallbacks(secret, () => undefined).urlFor('job_abc123', 'ch_xyz789')).toBeNull();
  });
});
