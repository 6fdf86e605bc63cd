/**
 * Finding 1 of the security review: a multipart form on /v1/videos is held to the same body limit as JSON, counted
 * across all its parts, so a form of many large fields never fills the gateway's memory.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';
import { rawExchange } from '../support/raw-http.js';

const boundary = 'reelay-test-boundary';
const mb = 1024 * 1024;

/** A multipart form streamed part by part (chunked, no Content-Length): `fields` text fields of `fieldBytes`. */
function manyFieldsForm(fields: number, fieldBytes: number): Readable {
  const filler = 'x'.repeat(fieldBytes);
  return Readable.from(
    (function* () {
      yield `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nhello\r\n`;
      for (let i = 0; i < fields; i++)
        yield `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n${filler}\r\n`;
      yield `--${boundary}--\r\n`;
    })(),
  );
}

async function send(url: string, key: string, body: Readable | string, headers: Record<string, string> = {}) {
  const res = await request(`${url}/v1/videos`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      ...headers,
    },
    body,
  });
  return { status: res.statusCode, body: (await res.body.json()) as any };
}

describe('multipart bodies on /v1/videos', () => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ config: { BODY_LIMIT_BYTES: 2 * mb } });
    ({ key } = await h.user());
  });
  afterAll(() => h.close());

  it('refuses a form whose Content-Length is over the body limit before reading it', async () => {
    // Announce 300 MB, send a few bytes, and read the answer that comes without the rest.
    const answer = await rawExchange(
      h.url,
      `POST /v1/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${300 * mb}\r\n\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nhi\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(answer).toContain('"code":"body_too_large"');
  });

  it('counts the bytes of every part of a streamed form against the body limit', async () => {
    // 40 fields of 1 MB, streamed without a Content-Length: each below any per-field limit, 40 MB in all.
    // (The gateway's memory under such forms is measured in its own process: test/robustness/bad-input.test.ts.)
    const res = await send(h.url, key, manyFieldsForm(40, mb));
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'body_too_large', type: 'invalid_request_error' });
  });

  it('refuses a form with more fields than any request has', async () => {
    const res = await send(h.url, key, manyFieldsForm(30, 10));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'too_many_parts' });
  });

  it('still takes a valid form', async () => {
    await h.channel('openai');
    const form = `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat\r\n--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nsora-2\r\n--${boundary}--\r\n`;
    const res = await send(h.url, key, form);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: 'video', model: 'sora-2' });
  });
});
