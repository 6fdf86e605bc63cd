/**
 * Finding 6 of the security review: a body nested thousands of levels deep (with an Idempotency-Key, whose
 * fingerprint walks the body) is a 400 on every surface, before anything recurses into it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, Harness } from '../support/harness.js';
import { nestsDeeperThan } from '../../src/security/json-depth.js';

const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const deepBody = (depth: number) => `{"model":"kling-v1","prompt":"p","metadata":${nested(depth)}}`;

describe('deeply nested JSON', () => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start();
    await h.channel('kling');
    ({ key } = await h.user());
  });
  afterAll(() => h.close());

  it('is a 400 on the generations surface, with an Idempotency-Key too', async () => {
    const res = await h.http('POST', '/v1/video/generations', {
      token: key,
      rawBody: deepBody(20_000),
      headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-1' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'json_too_deep', type: 'invalid_request_error' });
  });

  it('is a 400 on /v1/videos, as JSON and as multipart metadata', async () => {
    const json = await h.http('POST', '/v1/videos', {
      token: key,
      rawBody: deepBody(20_000),
      headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-2' },
    });
    expect(json.status).toBe(400);
    expect(json.body.error).toMatchObject({ code: 'json_too_deep' });

    const boundary = 'deep';
    const form =
      `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\np\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${nested(20_000)}\r\n--${boundary}--\r\n`;
    const multipart = await h.http('POST', '/v1/videos', {
      token: key,
      rawBody: form,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'idempotency-key': 'deep-3' },
    });
    expect(multipart.status).toBe(400);
    expect(multipart.body.error).toMatchObject({ code: 'json_too_deep', param: 'metadata' });
  });

  it('is a 400 on the admin API', async () => {
    const res = await h.http('POST', '/admin/v1/users', {
      token: adminToken,
      rawBody: `{"name":${nested(5_000)}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'json_too_deep' });
  });

  it('counts brackets inside strings as text', () => {
    expect(nestsDeeperThan(JSON.stringify({ prompt: '{['.repeat(1000) }), 32)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ prompt: '"\\{' }), 1)).toBe(false);
    expect(nestsDeeperThan(nested(33), 32)).toBe(true);
    expect(nestsDeeperThan(nested(32), 32)).toBe(false);
  });
});
