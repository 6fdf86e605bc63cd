import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../errors.js';
import { parseGenerationsRequest } from '../../http/generations/request.js';
import { originJimengExample } from '../../../test/support/origin-examples.js';
import type { VendorAnswer, VideoJob } from '../adapter.js';
import { jimengAdapter } from './adapter.js';

const imageUrl = originJimengExample.image;
const tailUrl = 'https://example.com/last-frame.png';
// Tiny but real magic bytes: JPEG (FF D8 FF E0) and WebP (RIFF…WEBP).
const jpegBase64 = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]).toString(
  'base64',
);
const webpBase64 = Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ').toString('base64');

/** A job as core builds it from a seed request body (upstream model = model unless mapped). */
function job(body: Record<string, unknown>, upstreamModel?: string): VideoJob {
  const request = parseGenerationsRequest({ prompt: 'a cat surfing', ...body });
  return { ...request, upstreamModel: upstreamModel ?? request.model, externalId: 'job_test' };
}

const prepare = (body: Record<string, unknown>, upstreamModel?: string) =>
  jimengAdapter.prepareSubmit(job(body, upstreamModel));

function rejection(body: Record<string, unknown>): { param: string | null; message: string } {
  try {
    prepare(body);
  } catch (err) {
    if (err instanceof InvalidRequestError) return { param: err.param, message: err.message };
    throw err;
  }
  throw new Error('expected a 400');
}

const answer = (status: number, json: unknown): VendorAnswer => ({
  status,
  headers: {},
  json,
  text: JSON.stringify(json),
});
const business = (code: number, data: unknown = null) => ({
  code,
  data,
  message: 'Some Vendor Message',
  request_id: '2025',
  status: code,
  time_elapsed: '1ms',
});
const gateway = (code: string, codeN: number) => ({
  ResponseMetadata: {
    RequestId: '2025',
    Action: 'CVSync2AsyncSubmitTask',
    Version: '2022-08-31',
    Service: 'cv',
    Region: 'cn-north-1',
    Error: { CodeN: codeN, Code: code, Message: 'The accesskey [AKLTsecretish] is invalid' },
  },
});

describe('Jimeng req_key rules', () => {
  it("takes the seed's example as sent: the image-to-video variant of the same model, the image once", () => {
    const prepared = prepare(originJimengExample);
    expect(prepared.call).toEqual({
      method: 'POST',
      path: '/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31',
      body: {
        req_key: 'jimeng_vgfm_i2v_l20',
        prompt: originJimengExample.prompt,
        aspect_ratio: '16:9',
        image_urls: [imageUrl],
      },
    });
    expect(prepared.pollContext).toEqual({ req_key: 'jimeng_vgfm_i2v_l20' });
    expect(prepared.expected).toEqual({ durationSeconds: 5, fps: 24, width: 1280, height: 720, seed: null });
    expect(prepared.warnings).toEqual([]);
  });

  it('picks image-to-video for a text-to-video model given an image, without metadata.req_key', () => {
    expect(prepare({ model: 'jimeng_vgfm_t2v_l20', image: imageUrl }).call.body).toMatchObject({
      req_key: 'jimeng_vgfm_i2v_l20',
    });
    expect(prepare({ model: 'jimeng_vgfm_i2v_l20' }).call.body).toMatchObject({
      req_key: 'jimeng_vgfm_t2v_l20',
    });
  });

  it.each([
    ['jimeng_v30', 0, 'jimeng_t2v_v30'],
    ['jimeng_v30', 1, 'jimeng_i2v_first_v30'],
    ['jimeng_v30', 2, 'jimeng_i2v_first_tail_v30'],
    ['jimeng_v30_1080p', 0, 'jimeng_t2v_v30_1080p'],
    // Jimeng's 1080P image keys end in _1080, without the p.
    ['jimeng_v30_1080p', 1, 'jimeng_i2v_first_v30_1080'],
    ['jimeng_v30_1080p', 2, 'jimeng_i2v_first_tail_v30_1080'],
    ['jimeng_t2v_v30_1080p', 2, 'jimeng_i2v_first_tail_v30_1080'],
    ['jimeng_v30_pro', 0, 'jimeng_ti2v_v30_pro'],
    ['jimeng_v30_pro', 1, 'jimeng_ti2v_v30_pro'],
  ])('the 3.0 family %s with %i image(s) runs %s', (model, images, reqKey) => {
    const body = {
      model,
      ...(images > 0 ? { image: imageUrl } : {}),
      ...(images > 1 ? { metadata: { image_urls: [tailUrl] } } : {}),
    };
    const prepared = prepare(body);
    expect(prepared.call.body).toMatchObject({ req_key: reqKey });
    expect(prepared.pollContext).toEqual({ req_key: reqKey });
    if (images === 2) expect(prepared.call.body).toMatchObject({ image_urls: [imageUrl, tailUrl] });
  });

  it('refuses a metadata.req_key that would run a different or pricier model', () => {
    expect(
      rejection({ model: 'jimeng_vgfm_t2v_l20', metadata: { req_key: 'jimeng_t2v_v30_1080p' } }),
    ).toMatchObject({
      param: 'metadata.req_key',
      message: expect.stringContaining('Jimeng 3.0 1080P'),
    });
    expect(rejection({ model: 'jimeng_v30', metadata: { req_key: 'jimeng_ti2v_v30_pro' } }).param).toBe(
      'metadata.req_key',
    );
    expect(
      rejection({ model: 'jimeng_v30', metadata: { req_key: 'jimeng_i2v_first_v30_1080' }, image: imageUrl })
        .param,
    ).toBe('metadata.req_key');
  });

  it('refuses a metadata.req_key that does not fit the images sent, and one that does not exist', () => {
    expect(
      rejection({ model: 'jimeng_vgfm_t2v_l20', metadata: { req_key: 'jimeng_vgfm_i2v_l20' } }),
    ).toMatchObject({
      param: 'metadata.req_key',
      message: expect.stringContaining('takes 1 image(s), the request has 0'),
    });
    expect(rejection({ model: 'jimeng_v30', metadata: { req_key: 'jimeng_v30_turbo' } }).param).toBe(
      'metadata.req_key',
    );
  });

  it('refuses more images than the model takes, naming the first one too many', () => {
    expect(
      rejection({ model: 'jimeng_vgfm_t2v_l20', image: imageUrl, metadata: { image_urls: [tailUrl] } }).param,
    ).toBe('metadata.image_urls.0');
    expect(
      rejection({ model: 'jimeng_v30_pro', image: imageUrl, metadata: { image_urls: [tailUrl] } }).param,
    ).toBe('metadata.image_urls.0');
  });

  it('refuses a model Jimeng does not have', () => {
    expect(rejection({ model: 'jimeng_v40' }).param).toBe('model');
  });
});

describe('Jimeng request mapping', () => {
  it.each([
    [undefined, 121],
    [5, 121],
    [10, 241],
  ])('duration %s s is %i frames', (duration, frames) => {
    const prepared = prepare({ model: 'jimeng_v30', ...(duration ? { duration } : {}) });
    expect(prepared.call.body).toMatchObject({ frames });
    expect(prepared.expected.durationSeconds).toBe(duration ?? 5);
  });

  it('refuses durations other than 5 and 10 seconds, and 10 seconds on S2.0 Pro', () => {
    expect(rejection({ model: 'jimeng_v30', duration: 7 }).param).toBe('duration');
    expect(rejection({ model: 'jimeng_vgfm_t2v_l20', duration: 10 })).toMatchObject({
      param: 'duration',
      message: expect.stringContaining('5 second'),
    });
    expect(rejection({ model: 'jimeng_vgfm_t2v_l20', metadata: { frames: 241 } }).param).toBe(
      'metadata.frames',
    );
    expect(rejection({ model: 'jimeng_v30', duration: 5, metadata: { frames: 241 } }).param).toBe(
      'metadata.frames',
    );
  });

  it('takes metadata.frames in place of duration', () => {
    expect(prepare({ model: 'jimeng_v30', metadata: { frames: 241 } }).expected.durationSeconds).toBe(10);
  });

  it('never sends frames to S2.0 Pro, which renders 5 seconds only', () => {
    expect(prepare({ model: 'jimeng_vgfm_t2v_l20', duration: 5 }).call.body).not.toHaveProperty('frames');
  });

  it('sends aspect_ratio only when it is known', () => {
    const plain = prepare({ model: 'jimeng_v30' });
    expect(plain.call.body).not.toHaveProperty('aspect_ratio');
    expect(plain.expected).toMatchObject({ width: 1280, height: 720 }); // Jimeng's default, 16:9
    expect(prepare({ model: 'jimeng_v30', size: '1280x720' }).call.body).toMatchObject({
      aspect_ratio: '16:9',
    });
    expect(prepare({ model: 'jimeng_v30_1080p', width: 1080, height: 1920 }).call.body).toMatchObject({
      aspect_ratio: '9:16',
    });
    expect(prepare({ model: 'jimeng_v30_1080p', width: 1080, height: 1920 }).expected).toMatchObject({
      width: 1080,
      height: 1920,
    });
    expect(
      prepare({ model: 'jimeng_vgfm_t2v_l20', metadata: { aspect_ratio: '9:21' } }).call.body,
    ).toMatchObject({ aspect_ratio: '9:21' });
  });

  it('refuses an aspect ratio the model lacks or that contradicts the size', () => {
    expect(rejection({ model: 'jimeng_v30', metadata: { aspect_ratio: '9:21' } }).param).toBe(
      'metadata.aspect_ratio',
    );
    expect(
      rejection({ model: 'jimeng_v30', size: '1280x720', metadata: { aspect_ratio: '1:1' } }).param,
    ).toBe('metadata.aspect_ratio');
    expect(rejection({ model: 'jimeng_v30', metadata: { aspect_ratio: '' } }).param).toBe(
      'metadata.aspect_ratio',
    );
  });

  it('does not send a size to 3.0 image-to-video, which follows the image, and says so', () => {
    const prepared = prepare({ model: 'jimeng_v30', image: imageUrl, size: '1280x720' });
    expect(prepared.call.body).not.toHaveProperty('aspect_ratio');
    expect(prepared.expected).toMatchObject({ width: null, height: null });
    expect(prepared.warnings).toEqual([
      { feature: 'size', details: expect.stringContaining("follows the input image's aspect ratio") },
    ]);
  });

  it('sends seed only when one is given', () => {
    expect(prepare({ model: 'jimeng_v30' }).call.body).not.toHaveProperty('seed');
    const seeded = prepare({ model: 'jimeng_v30', seed: 0 });
    expect(seeded.call.body).toMatchObject({ seed: 0 });
    expect(seeded.expected.seed).toBe(0);
    expect(prepare({ model: 'jimeng_v30', metadata: { seed: 42 } }).call.body).toMatchObject({ seed: 42 });
    expect(rejection({ model: 'jimeng_v30', seed: 1, metadata: { seed: 2 } }).param).toBe('metadata.seed');
  });

  it('sends base64 images as binary_data_base64, without the data: prefix', () => {
    const prepared = prepare({
      model: 'jimeng_v30',
      image: `data:image/jpeg;base64,${jpegBase64}`,
      metadata: { binary_data_base64: [jpegBase64, jpegBase64.replace('AQ', 'AA')] },
    });
    expect(prepared.call.body).toMatchObject({
      req_key: 'jimeng_i2v_first_tail_v30',
      binary_data_base64: [jpegBase64, jpegBase64.replace('AQ', 'AA')],
    });
    expect(prepared.call.body).not.toHaveProperty('image_urls');
  });

  it('refuses a request mixing URL and base64 images, naming the odd one', () => {
    expect(
      rejection({ model: 'jimeng_v30', image: imageUrl, metadata: { binary_data_base64: [jpegBase64] } }),
    ).toMatchObject({
      param: 'metadata.binary_data_base64.0',
      message: expect.stringContaining('all as URLs or all as base64'),
    });
    expect(
      rejection({ model: 'jimeng_v30', image: jpegBase64, metadata: { image_urls: [imageUrl] } }).param,
    ).toBe('metadata.image_urls.0');
  });

  it('refuses images Jimeng cannot read: not JPEG/PNG, a URL where base64 belongs', () => {
    expect(rejection({ model: 'jimeng_v30', image: webpBase64 })).toMatchObject({
      param: 'image',
      message: expect.stringContaining('JPEG or PNG'),
    });
    expect(rejection({ model: 'jimeng_v30', metadata: { binary_data_base64: [imageUrl] } }).param).toBe(
      'metadata.binary_data_base64.0',
    );
    expect(rejection({ model: 'jimeng_v30', metadata: { image_urls: [jpegBase64] } }).param).toBe(
      'metadata.image_urls.0',
    );
  });

  it('refuses a frame rate other than 24 and metadata it does not know', () => {
    expect(rejection({ model: 'jimeng_v30', fps: 30 }).param).toBe('fps');
    expect(prepare({ model: 'jimeng_v30', fps: 24 }).expected.fps).toBe(24);
    expect(rejection({ model: 'jimeng_v30', metadata: { negative_prompt: 'blur' } }).param).toBe(
      'metadata.negative_prompt',
    );
  });

  it('warns about prompts longer than Jimeng documents', () => {
    expect(prepare({ model: 'jimeng_v30', prompt: 'x'.repeat(801) }).warnings).toEqual([
      { feature: 'prompt', details: expect.stringContaining('800 characters') },
    ]);
  });

  it('polls with the req_key the task was submitted with', () => {
    expect(
      jimengAdapter.preparePoll('7312345678901234567', { req_key: 'jimeng_i2v_first_tail_v30_1080' }),
    ).toEqual({
      method: 'POST',
      path: '/?Action=CVSync2AsyncGetResult&Version=2022-08-31',
      body: { req_key: 'jimeng_i2v_first_tail_v30_1080', task_id: '7312345678901234567' },
    });
  });
});

describe('Jimeng answers', () => {
  it('reads an accepted submit', () => {
    expect(
      jimengAdapter.readSubmit(answer(200, business(10000, { task_id: '7312345678901234567' }))),
    ).toEqual({
      kind: 'accepted',
      upstreamTaskId: '7312345678901234567',
    });
  });

  it.each([50411, 50412, 50413, 50512, 50518, 50520, 50521, 50522])(
    'a submit refused with content-check code %i is rejected with the vendor reason',
    (code) => {
      expect(jimengAdapter.readSubmit(answer(400, business(code)))).toEqual({
        kind: 'rejected',
        code: 'content_policy_violation',
        message: expect.stringMatching(new RegExp(`^Jimeng ${code}: Some Vendor Message`)),
      });
    },
  );

  it("a submit refused as invalid input is the client's 400", () => {
    expect(jimengAdapter.readSubmit(answer(400, business(50215)))).toMatchObject({
      kind: 'rejected',
      code: 'vendor_invalid_request',
    });
  });

  it.each([50429, 50430, 50500, 50501, 50516])('a submit refused with %i is tried again later', (code) => {
    expect(
      jimengAdapter.readSubmit(answer(code === 50516 ? 400 : code > 50500 ? 500 : 429, business(code))),
    ).toMatchObject({ kind: 'retry_later' });
  });

  it.each([
    ['SignatureDoesNotMatch', 100010, 401],
    ['InvalidAccessKey', 100009, 401],
    ['AccessDenied', 100013, 403],
    ['MissingParameter', 100002, 400],
  ])(
    'a %s from the Volcengine gateway breaks the channel, without echoing the key',
    (code, codeN, status) => {
      for (const outcome of [
        jimengAdapter.readSubmit(answer(status, gateway(code, codeN))),
        jimengAdapter.readPoll(answer(status, gateway(code, codeN)), {}),
      ]) {
        expect(outcome).toMatchObject({ kind: 'channel_broken', message: expect.stringContaining(code) });
        expect(JSON.stringify(outcome)).not.toContain('AKLTsecretish');
      }
    },
  );

  it('a clock too far off is trouble to retry, not a broken account', () => {
    expect(jimengAdapter.readSubmit(answer(400, gateway('InvalidTimestamp', 100006)))).toMatchObject({
      kind: 'retry_later',
    });
  });

  it.each([
    ['in_queue', { kind: 'processing', queued: true }],
    ['generating', { kind: 'processing', queued: false }],
    ['done', { kind: 'succeeded', url: 'https://p9.byteimg.com/video.mp4?x-expires=1' }],
    [
      'not_found',
      { kind: 'failed', code: 'vendor_task_lost', message: expect.stringContaining('not_found') },
    ],
    ['expired', { kind: 'failed', code: 'vendor_task_expired', message: expect.stringContaining('expired') }],
  ])('status %s is read as %o', (status, outcome) => {
    const data = {
      status,
      ...(status === 'done' ? { video_url: 'https://p9.byteimg.com/video.mp4?x-expires=1' } : {}),
    };
    expect(jimengAdapter.readPoll(answer(200, business(10000, data)), {})).toMatchObject(outcome);
  });

  it('done without a video_url is asked again, not a success', () => {
    expect(
      jimengAdapter.readPoll(answer(200, business(10000, { status: 'done', video_url: '' })), {}),
    ).toMatchObject({ kind: 'retry_later' });
  });

  it.each([50429, 50430, 50500, 50501])('a poll answered %i is asked again later', (code) => {
    expect(jimengAdapter.readPoll(answer(200, business(code)), {})).toMatchObject({ kind: 'retry_later' });
  });

  it('a task done with an error code failed, with the vendor reason', () => {
    expect(jimengAdapter.readPoll(answer(500, business(50501, { status: 'done' })), {})).toEqual({
      kind: 'failed',
      code: 'generation_failed',
      message: 'Jimeng 50501: Some Vendor Message: internal algorithm error',
    });
  });

  it.each([50411, 50412, 50413, 50516])(
    'a poll answered with content-check code %i fails the task',
    (code) => {
      expect(jimengAdapter.readPoll(answer(400, business(code)), {})).toMatchObject({
        kind: 'failed',
        code: 'content_policy_violation',
      });
    },
  );

  it('an answer that is not Jimeng JSON is trouble to retry', () => {
    expect(
      jimengAdapter.readPoll({ status: 502, headers: {}, json: undefined, text: '<html>' }, {}),
    ).toMatchObject({ kind: 'retry_later' });
    expect(jimengAdapter.readPoll(answer(200, business(10000, { status: 'paused' })), {})).toMatchObject({
      kind: 'retry_later',
    });
  });
});
