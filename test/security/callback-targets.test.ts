/**
 * Finding 5 of the security review: a callback_url Reelay must not POST to (an internal address) is refused at
 * submit on both surfaces alike, wherever the request puts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';

describe('an internal callback_url at submit', () => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start();
    await h.channel('kling');
    ({ key } = await h.user());
  });
  afterAll(() => h.close());

  const internal = [
    'http://10.0.0.5/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:10.1.1.1]/',
  ];

  it.each(internal)('is refused on /v1/videos as on the generations surface: %s', async (url) => {
    const seed = await h.submit(key, { model: 'kling-v1', prompt: 'p', metadata: { callback_url: url } });
    expect(seed.status).toBe(400);
    expect(seed.body).toMatchObject({ param: 'metadata.callback_url', code: 'webhook_target_not_allowed' });

    const openai = await h.http('POST', '/v1/videos', {
      token: key,
      body: { model: 'kling-v1', prompt: 'p', metadata: { callback_url: url } },
    });
    expect(openai.status).toBe(400);
    expect(openai.body.error).toMatchObject({
      param: 'metadata.callback_url',
      code: 'webhook_target_not_allowed',
    });
    const listed = await h.http('GET', '/v1/videos', { token: key });
    expect(listed.body.data).toEqual([]);
  });
});
