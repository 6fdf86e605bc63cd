/** Wan request mapping and answer reading, without the wire. */
import { describe, expect, it } from 'vitest';
import { paramOf, videoJob } from '../../../test/support/adapters.js';
import type { VendorAnswer, VideoJob } from '../adapter.js';
import { wanAdapter } from './adapter.js';

const png =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const first = { kind: 'url', url: 'https://example.com/first.png' } as const;
const last = 'https://example.com/last.png';

const prepare = (j: VideoJob) => wanAdapter.prepareSubmit(j);
const bodyOf = (j: VideoJob) => prepare(j).call.body as Record<string, any>;

describe('Wan request mapping', () => {
  it('sends text-to-video with the size in W*H, the duration, the seed and DashScope options', () => {
    const prepared = prepare(
      videoJob('wan2.5-t2v-preview', {
        width: 1280,
        height: 720,
        durationSeconds: 10,
        seed: 12345,
        metadata: { negative_prompt: 'blur', audio: false, prompt_extend: false },
      }),
    );
    expect(prepared.call).toMatchObject({
      method: 'POST',
      path: '/api/v1/services/aigc/video-generation/video-synthesis',
    });
    expect(prepared.call.body).toEqual({
      model: 'wan2.5-t2v-preview',
      input: { prompt: 'a cat walking on the moon', negative_prompt: 'blur' },
      parameters: { size: '1280*720', duration: 10, prompt_extend: false, audio: false, seed: 12345 },
    });
    expect(prepared.expected).toEqual({
      durationSeconds: 10,
      fps: 24,
      width: 1280,
      height: 720,
      seed: 12345,
      shortSide: 720,
    });
  });

  it('sends a first frame as img_url with a resolution word, and says the image decides the aspect ratio', () => {
    const prepared = prepare(
      videoJob('wan2.2-i2v-plus', {
        image: { kind: 'base64', data: png, mimeType: 'image/png' },
        width: 832,
        height: 480,
      }),
    );
    expect(prepared.call.body).toEqual({
      model: 'wan2.2-i2v-plus',
      input: { prompt: 'a cat walking on the moon', img_url: `data:image/png;base64,${png}` },
      parameters: { resolution: '480P', duration: 5 },
    });
    expect(prepared.warnings.map((w) => w.feature)).toEqual(['size']);
  });

  it('sends first and last frames to the keyframe endpoint', () => {
    const prepared = prepare(
      videoJob('wan2.2-kf2v-flash', { image: first, metadata: { last_frame_url: last } }),
    );
    expect(prepared.call.path).toBe('/api/v1/services/aigc/image2video/video-synthesis');
    expect((prepared.call.body as Record<string, unknown>).input).toEqual({
      prompt: 'a cat walking on the moon',
      first_frame_url: first.url,
      last_frame_url: last,
    });
  });

  it("chooses DashScope's defaults, sent explicitly: 1920*1080 and 5 s from text", () => {
    expect(bodyOf(videoJob('wan2.2-t2v-plus')).parameters).toEqual({ size: '1920*1080', duration: 5 });
  });

  it('signs every create with X-DashScope-Async: enable', async () => {
    const signed = await wanAdapter.sign(
      prepare(videoJob('wan2.2-t2v-plus')).call,
      'https://dashscope-intl.aliyuncs.com',
      { api_key: 'sk-1' },
      { send: () => Promise.reject(new Error('no')) },
    );
    expect(signed.headers).toMatchObject({ authorization: 'Bearer sk-1', 'x-dashscope-async': 'enable' });
  });

  it.each([
    ['10 s on wan2.2', videoJob('wan2.2-t2v-plus', { durationSeconds: 10 }), 'duration'],
    ['a 720P size on wan2.2-t2v-plus', videoJob('wan2.2-t2v-plus', { width: 1280, height: 720 }), 'size'],
    ['a size Wan does not render', videoJob('wan2.5-t2v-preview', { width: 1000, height: 1000 }), 'size'],
    [
      'a resolution for text-to-video',
      videoJob('wan2.5-t2v-preview', { metadata: { resolution: '720P' } }),
      'metadata.resolution',
    ],
    [
      '720P on wan2.2-i2v-plus',
      videoJob('wan2.2-i2v-plus', { image: first, metadata: { resolution: '720P' } }),
      'metadata.resolution',
    ],
    [
      'a size word for image-to-video',
      videoJob('wan2.5-i2v-preview', { image: first, metadata: { size: '1280*720' } }),
      'metadata.size',
    ],
    ['an image for a text model', videoJob('wan2.5-t2v-preview', { image: first }), 'image'],
    ['no image for an image model', videoJob('wan2.5-i2v-preview'), 'image'],
    ['no last frame for kf2v', videoJob('wan2.2-kf2v-flash', { image: first }), 'metadata.last_frame_url'],
    [
      'a last frame for i2v',
      videoJob('wan2.5-i2v-preview', { image: first, metadata: { last_frame_url: last } }),
      'metadata.last_frame_url',
    ],
    ['audio on wan2.2', videoJob('wan2.2-t2v-plus', { metadata: { audio: true } }), 'metadata.audio'],
    ['a seed out of range', videoJob('wan2.2-t2v-plus', { seed: -1 }), 'seed'],
    ['a long prompt for wan2.2', videoJob('wan2.2-t2v-plus', { prompt: 'x'.repeat(801) }), 'prompt'],
    ['a frame rate', videoJob('wan2.2-t2v-plus', { fps: 30 }), 'fps'],
    [
      'an unknown metadata key',
      videoJob('wan2.2-t2v-plus', { metadata: { shot_type: 'multi' } }),
      'metadata.shot_type',
    ],
    ['a model Wan does not serve', videoJob('wan2.6-t2v'), 'model'],
  ])('refuses %s with a 400 naming the field', (_, j, param) => {
    expect(paramOf(() => prepare(j))).toBe(param);
  });
});

describe('Wan answers', () => {
  const answer = (output: Record<string, unknown>): VendorAnswer => {
    const json = { request_id: 'r', output: { task_id: 't', ...output } };
    return { status: 200, headers: {}, json, text: JSON.stringify(json) };
  };

  it('fails a task cancelled at DashScope, and waits out a status it does not know', () => {
    expect(wanAdapter.readPoll(answer({ task_status: 'CANCELED' }), {})).toMatchObject({
      kind: 'failed',
      code: 'cancelled',
    });
    expect(wanAdapter.readPoll(answer({ task_status: 'SUSPENDED' }), {})).toMatchObject({
      kind: 'retry_later',
    });
  });
});
