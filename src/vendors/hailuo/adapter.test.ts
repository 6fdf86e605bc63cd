/** MiniMax request mapping, callbacks and answers, without the wire. */
import { describe, expect, it } from 'vitest';
import { paramOf, videoJob } from '../../../test/support/adapters.js';
import type { VendorAnswer, VideoJob } from '../adapter.js';
import { hailuoAdapter } from './adapter.js';

const png =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const first = { kind: 'url', url: 'https://example.com/first.png' } as const;
const last = 'https://example.com/last.png';

const prepare = (j: VideoJob) => hailuoAdapter.prepareSubmit(j);
const bodyOf = (j: VideoJob) => prepare(j).call.body as Record<string, unknown>;
const answer = (json: unknown): VendorAnswer => ({
  status: 200,
  headers: {},
  json,
  text: JSON.stringify(json),
});

describe('MiniMax request mapping', () => {
  it('sends text-to-video with the resolution of the size and the duration', () => {
    const prepared = prepare(
      videoJob('MiniMax-Hailuo-02', { width: 1920, height: 1080, durationSeconds: 6 }),
    );
    expect(prepared.call).toMatchObject({ method: 'POST', path: '/v1/video_generation' });
    expect(prepared.call.body).toEqual({
      model: 'MiniMax-Hailuo-02',
      prompt: 'a cat walking on the moon',
      duration: 6,
      resolution: '1080P',
    });
    expect(prepared.expected).toMatchObject({ durationSeconds: 6, shortSide: 1080, seed: null });
  });

  it("chooses MiniMax's defaults: 768P and 6 s on Hailuo, 720P on the 01 series", () => {
    expect(bodyOf(videoJob('MiniMax-Hailuo-2.3'))).toMatchObject({ resolution: '768P', duration: 6 });
    expect(bodyOf(videoJob('T2V-01-Director'))).toMatchObject({ resolution: '720P', duration: 6 });
  });

  it('sends the first and last frames as URLs or data URLs, and MiniMax options by their names', () => {
    const body = bodyOf(
      videoJob('MiniMax-Hailuo-02', {
        image: { kind: 'base64', data: png, mimeType: 'image/png' },
        metadata: { last_frame_image: last, prompt_optimizer: false, aigc_watermark: true },
      }),
    );
    expect(body).toMatchObject({
      first_frame_image: `data:image/png;base64,${png}`,
      last_frame_image: last,
      prompt_optimizer: false,
      aigc_watermark: true,
      resolution: '768P',
    });
  });

  it('says in warnings that MiniMax has no seed and follows the image', () => {
    const warnings = prepare(
      videoJob('I2V-01', { image: first, seed: 3, width: 1280, height: 720 }),
    ).warnings;
    expect(warnings.map((w) => w.feature)).toEqual(['seed', 'size']);
  });

  it.each([
    [
      '10 s at 1080P',
      videoJob('MiniMax-Hailuo-2.3', { durationSeconds: 10, width: 1920, height: 1080 }),
      'duration',
    ],
    ['10 s on the 01 series', videoJob('T2V-01', { durationSeconds: 10 }), 'duration'],
    [
      '512P from text',
      videoJob('MiniMax-Hailuo-02', { metadata: { resolution: '512P' } }),
      'metadata.resolution',
    ],
    [
      '512P on 2.3',
      videoJob('MiniMax-Hailuo-2.3', { image: first, metadata: { resolution: '512P' } }),
      'metadata.resolution',
    ],
    ['a size of no MiniMax resolution', videoJob('MiniMax-Hailuo-02', { width: 640, height: 480 }), 'size'],
    ['1080P on the 01 series', videoJob('T2V-01', { width: 1920, height: 1080 }), 'size'],
    ['an image for a text model', videoJob('T2V-01', { image: first }), 'image'],
    ['no image for an image model', videoJob('I2V-01-Director'), 'image'],
    [
      'a last frame on 2.3',
      videoJob('MiniMax-Hailuo-2.3', { image: first, metadata: { last_frame_image: last } }),
      'metadata.last_frame_image',
    ],
    [
      'a last frame without a first',
      videoJob('MiniMax-Hailuo-02', { metadata: { last_frame_image: last } }),
      'metadata.last_frame_image',
    ],
    [
      'a last frame at 512P',
      videoJob('MiniMax-Hailuo-02', {
        image: first,
        metadata: { last_frame_image: last, resolution: '512P' },
      }),
      'metadata.resolution',
    ],
    [
      'fast_pretreatment on the 01 series',
      videoJob('T2V-01', { metadata: { fast_pretreatment: true } }),
      'metadata.fast_pretreatment',
    ],
    ['a frame rate', videoJob('MiniMax-Hailuo-02', { fps: 25 }), 'fps'],
    ['an unknown metadata key', videoJob('MiniMax-Hailuo-02', { metadata: { seed: 1 } }), 'metadata.seed'],
    ['a model MiniMax does not serve', videoJob('S2V-01'), 'model'],
  ])('refuses %s with a 400 naming the field', (_, j, param) => {
    expect(paramOf(() => prepare(j))).toBe(param);
  });
});

describe('MiniMax answers and callbacks', () => {
  it('follows a success to the file retrieve call, with a numeric or string file_id', () => {
    for (const fileId of ['176844028768320', 176844028768320]) {
      expect(
        hailuoAdapter.readPoll(
          answer({ task_id: '1', status: 'Success', file_id: fileId, base_resp: { status_code: 0 } }),
          {},
        ),
      ).toEqual({
        kind: 'follow',
        call: { method: 'GET', path: '/v1/files/retrieve?file_id=176844028768320' },
      });
    }
  });

  it('echoes the challenge of a callback URL verification, and nothing else', () => {
    expect(hailuoAdapter.answerCallbackHandshake!({ challenge: 'abc' })).toEqual({ challenge: 'abc' });
    expect(hailuoAdapter.answerCallbackHandshake!({ task_id: '1', status: 'success' })).toBeNull();
    expect(hailuoAdapter.answerCallbackHandshake!('garbage')).toBeNull();
  });

  it('polls only on a callback that reports an end', () => {
    const worth = (status: string) => hailuoAdapter.callbackWorthAPoll!({ task_id: '1', status });
    expect(['processing', 'Processing', 'Queueing'].map(worth)).toEqual([false, false, false]);
    expect(['success', 'failed', 'Success', 'Fail'].map(worth)).toEqual([true, true, true, true]);
  });
});
