/** Wrong types get their own precise 400 on both surfaces: what was expected, what was sent, which field. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../test/support/harness.js';

// Validation happens before anything is stored: one database proves it (bad-input.test.ts covers both).
describe('messages for values of the wrong type', () => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start();
    await h.channel('kling');
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  const base = { model: 'kling-v1', prompt: 'a cat' };
  const generations: [Record<string, unknown>, string, string][] = [
    [{ duration: '5' }, 'duration', 'duration: expected a number, got a string ("5")'],
    [{ duration: null }, 'duration', 'duration: expected a number, got null'],
    [{ seed: 1.5 }, 'seed', 'seed: expected an integer, got a number (1.5)'],
    [{ seed: '7' }, 'seed', 'seed: expected a number, got a string ("7")'],
    [{ fps: true }, 'fps', 'fps: expected a number, got a boolean (true)'],
    [{ width: '1280', height: 720 }, 'width', 'width: expected a number, got a string ("1280")'],
    [{ prompt: 42 }, 'prompt', 'prompt: expected a string, got an integer (42)'],
    [{ model: ['kling-v1'] }, 'model', 'model: expected a string, got an array'],
    [{ size: 1280 }, 'size', 'size: expected a string, got an integer (1280)'],
    [{ image: {} }, 'image', 'image: expected a string, got an object'],
    [{ metadata: [] }, 'metadata', 'metadata: expected an object, got an array'],
    [{ metadata: 'x' }, 'metadata', 'metadata: expected an object, got a string ("x")'],
    [{ n: '2' }, 'n', 'n: expected a number, got a string ("2")'],
    [
      { response_format: 'b64_json' },
      'response_format',
      'response_format: expected "url", got a string ("b64_json")',
    ],
    [{ user: 5 }, 'user', 'user: expected a string, got an integer (5)'],
    [{ callback_url: false }, 'callback_url', 'callback_url: expected a string, got a boolean (false)'],
  ];

  it.each(generations)('generations: %j → %s', async (fields, param, message) => {
    const res = await h.submit(key, { ...base, ...fields });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ param, message, type: 'invalid_request_error' });
  });

  it('still says "is required" when a field is absent', async () => {
    const res = await h.submit(key, { model: 'kling-v1' });
    expect(res.body).toMatchObject({ param: 'prompt', message: 'prompt: is required' });
  });

  const videos: [Record<string, unknown>, string, string][] = [
    [{ prompt: null }, 'prompt', 'prompt: expected a string, got null'],
    [{ seconds: true }, 'seconds', 'seconds: expected a string or a number, got a boolean (true)'],
    [{ seconds: '8.5' }, 'seconds', 'seconds: seconds must be a whole number of seconds, such as "8"'],
    [{ size: 720 }, 'size', 'size: expected a string, got an integer (720)'],
    [{ model: 3 }, 'model', 'model: expected a string, got an integer (3)'],
    [{ input_reference: 'x' }, 'input_reference', 'input_reference: expected an object, got a string ("x")'],
    [{ metadata: 1 }, 'metadata', 'metadata: expected an object, got an integer (1)'],
  ];

  it.each(videos)('/v1/videos: %j → %s', async (fields, param, message) => {
    const res = await h.http('POST', '/v1/videos', { token: key, body: { prompt: 'a cat', ...fields } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ param, message, type: 'invalid_request_error' });
  });

  it('names wrong types in queries and admin bodies too', async () => {
    const list = await h.http('GET', '/v1/videos?order=sideways', { token: key });
    expect(list.body.error.message).toBe('order: expected "asc" or "desc", got a string ("sideways")');
    const user = await h.admin('POST', '/users', { name: 7 });
    expect(user.body).toMatchObject({
      param: 'name',
      message: 'name: expected a string, got an integer (7)',
    });
  });
});
