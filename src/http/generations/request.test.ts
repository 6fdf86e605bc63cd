import { describe, expect, it } from 'vitest';
import { ApiError } from '../../errors.js';
import { parseGenerationsRequest } from './request.js';

const base = { model: 'kling-v1', prompt: 'a cat' };

function rejection(body: unknown): { status: number; param: string | null; message: string } {
  try {
    parseGenerationsRequest(body);
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, param: err.param, message: err.message };
    throw err;
  }
  throw new Error('expected the request to be rejected');
}

describe('generations request validation', () => {
  it('accepts the smallest valid request and fills defaults', () => {
    expect(parseGenerationsRequest(base)).toEqual({
      model: 'kling-v1',
      prompt: 'a cat',
      durationSeconds: null,
      fps: null,
      width: null,
      height: null,
      image: null,
      seed: null,
      metadata: {},
      n: 1,
      endUser: null,
      callbackUrl: null,
    });
  });

  it('reads every documented field', () => {
    const parsed = parseGenerationsRequest({
      ...base,
      duration: 10,
      fps: 24,
      width: 1280,
      height: 720,
      image: 'https://example.com/a.png',
      metadata: { negative_prompt: 'blur', callback_url: 'https://client.example/hook' },
      n: 2,
      response_format: 'url',
      seed: 42,
      user: 'end-user-7',
    });
    expect(parsed).toMatchObject({
      durationSeconds: 10,
      fps: 24,
      width: 1280,
      height: 720,
      image: { kind: 'url', url: 'https://example.com/a.png' },
      metadata: { negative_prompt: 'blur' },
      n: 2,
      seed: 42,
      endUser: 'end-user-7',
      callbackUrl: 'https://client.example/hook',
    });
  });

  it.each([
    ['model missing', { prompt: 'x' }, 'model'],
    ['model not a string', { ...base, model: 5 }, 'model'],
    ['prompt missing', { model: 'kling-v1' }, 'prompt'],
    ['prompt empty', { ...base, prompt: '' }, 'prompt'],
    ['duration a string', { ...base, duration: '5' }, 'duration'],
    ['duration negative', { ...base, duration: -1 }, 'duration'],
    ['fps fractional', { ...base, fps: 23.5 }, 'fps'],
    ['fps zero', { ...base, fps: 0 }, 'fps'],
    ['width too small', { ...base, width: 10, height: 720 }, 'width'],
    ['height a string', { ...base, width: 1280, height: '720' }, 'height'],
    ['width without height', { ...base, width: 1280 }, 'height'],
    ['height without width', { ...base, height: 720 }, 'width'],
    ['size malformed', { ...base, size: '1920*1080' }, 'size'],
    ['size out of range', { ...base, size: '20x10' }, 'size'],
    ['size contradicting width/height', { ...base, size: '1920x1080', width: 1280, height: 720 }, 'size'],
    ['image not a string', { ...base, image: 42 }, 'image'],
    ['image not an image', { ...base, image: 'hello world' }, 'image'],
    ['image data URL of text', { ...base, image: 'data:text/plain;base64,aGVsbG8=' }, 'image'],
    ['metadata an array', { ...base, metadata: [1, 2] }, 'metadata'],
    ['metadata a string', { ...base, metadata: '{}' }, 'metadata'],
    ['callback_url not a URL', { ...base, metadata: { callback_url: 'ftp://x' } }, 'metadata.callback_url'],
    ['top-level callback_url not a URL', { ...base, callback_url: 'hook' }, 'callback_url'],
    [
      'callback_url contradicting metadata.callback_url',
      {
        ...base,
        callback_url: 'https://a.example/hook',
        metadata: { callback_url: 'https://b.example/hook' },
      },
      'callback_url',
    ],
    ['n zero', { ...base, n: 0 }, 'n'],
    ['n five', { ...base, n: 5 }, 'n'],
    ['response_format b64_json', { ...base, response_format: 'b64_json' }, 'response_format'],
    ['seed negative', { ...base, seed: -3 }, 'seed'],
    ['seed fractional', { ...base, seed: 1.5 }, 'seed'],
    ['user empty', { ...base, user: '' }, 'user'],
    ['unknown top-level field', { ...base, seconds: '4' }, 'seconds'],
  ])('rejects %s with a 400 naming the field', (_name, body, param) => {
    const error = rejection(body);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message.length).toBeGreaterThan(5);
  });

  it('rejects a body that is not an object', () => {
    for (const body of [null, [], 'text', 12]) expect(rejection(body).status).toBe(400);
  });

  it('takes callback_url at the top level or in metadata, or in both when they agree', () => {
    const url = 'https://client.example/hook';
    expect(parseGenerationsRequest({ ...base, callback_url: url })).toMatchObject({
      callbackUrl: url,
      metadata: {},
    });
    expect(
      parseGenerationsRequest({ ...base, callback_url: url, metadata: { callback_url: url } }),
    ).toMatchObject({
      callbackUrl: url,
      metadata: {},
    });
  });

  it('takes size and width/height when they agree', () => {
    expect(parseGenerationsRequest({ ...base, size: '1280x720', width: 1280, height: 720 })).toMatchObject({
      width: 1280,
      height: 720,
    });
    expect(parseGenerationsRequest({ ...base, size: '720x1280' })).toMatchObject({
      width: 720,
      height: 1280,
    });
  });

  it('reads images as URL, data URL or raw base64', () => {
    const png =
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    expect(parseGenerationsRequest({ ...base, image: png }).image).toEqual({
      kind: 'base64',
      data: png,
      mimeType: 'image/png',
    });
    expect(parseGenerationsRequest({ ...base, image: `data:image/png;base64,${png}` }).image).toEqual({
      kind: 'base64',
      data: png,
      mimeType: 'image/png',
    });
  });
});
