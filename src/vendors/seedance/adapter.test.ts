/** Seedance request mapping and answer reading, without the wire. */
import { describe, expect, it } from 'vitest';
import { paramOf, videoJob } from '../../../test/support/adapters.js';
import type { VideoJob } from '../adapter.js';
import { seedanceAdapter } from './adapter.js';

const png =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const first = 'https://example.com/first.png';
const last = 'https://example.com/last.png';

const job = (model: string, overrides: Partial<VideoJob> = {}) => videoJob(model, overrides);
const prepare = (j: VideoJob) => seedanceAdapter.prepareSubmit(j);
const bodyOf = (j: VideoJob) => prepare(j).call.body as Record<string, unknown>;

describe('Seedance request mapping', () => {
  it('sends text-to-video with the resolution and ratio of the size, the duration and the seed', () => {
    const prepared = prepare(
      job('doubao-seedance-1-0-pro-250528', { width: 1920, height: 1080, durationSeconds: 10, seed: 42 }),
    );
    expect(prepared.call).toMatchObject({ method: 'POST', path: '/api/v3/contents/generations/tasks' });
    expect(prepared.call.body).toEqual({
      model: 'doubao-seedance-1-0-pro-250528',
      content: [{ type: 'text', text: 'a cat walking on the moon' }],
      resolution: '1080p',
      ratio: '16:9',
      duration: 10,
      seed: 42,
    });
    expect(prepared.expected).toEqual({
      durationSeconds: 10,
      fps: 24,
      width: 1920,
      height: 1080,
      seed: 42,
      shortSide: 1080,
    });
  });

  it('chooses 720p, 16:9 and 5 seconds when nothing is asked', () => {
    expect(bodyOf(job('doubao-seedance-1-0-lite-t2v-250428'))).toMatchObject({
      resolution: '720p',
      ratio: '16:9',
      duration: 5,
    });
  });

  it('puts the first and last frames in content with their roles, base64 as a data URL, following the image', () => {
    const body = bodyOf(
      job('doubao-seedance-1-5-pro-251215', {
        image: { kind: 'base64', data: png, mimeType: 'image/png' },
        metadata: { last_frame: last, generate_audio: true, camera_fixed: true },
      }),
    );
    expect(body.content).toEqual([
      { type: 'text', text: 'a cat walking on the moon' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` }, role: 'first_frame' },
      { type: 'image_url', image_url: { url: last }, role: 'last_frame' },
    ]);
    expect(body).toMatchObject({ ratio: 'adaptive', generate_audio: true, camera_fixed: true });
  });

  it('sends lite-i2v reference images with their role', () => {
    const body = bodyOf(
      job('doubao-seedance-1-0-lite-i2v-250428', { metadata: { reference_images: [first, last] } }),
    );
    expect((body.content as unknown[]).slice(1)).toEqual([
      { type: 'image_url', image_url: { url: first }, role: 'reference_image' },
      { type: 'image_url', image_url: { url: last }, role: 'reference_image' },
    ]);
  });

  it("gives Ark Reelay's callback URL, never the client's", () => {
    const callback = 'https://reelay.example/v1/vendor-callbacks/job_1.token';
    expect(bodyOf(job('doubao-seedance-1-0-pro-250528', { vendorCallbackUrl: callback })).callback_url).toBe(
      callback,
    );
    expect(bodyOf(job('doubao-seedance-1-0-pro-250528'))).not.toHaveProperty('callback_url');
  });

  it.each([
    [
      'a duration the model does not render',
      job('doubao-seedance-1-5-pro-251215', { durationSeconds: 3 }),
      'duration',
    ],
    ['a fractional duration', job('doubao-seedance-1-0-pro-250528', { durationSeconds: 4.5 }), 'duration'],
    ['a size of no resolution', job('doubao-seedance-1-0-pro-250528', { width: 1000, height: 1000 }), 'size'],
    ['a size of no ratio', job('doubao-seedance-1-0-pro-250528', { width: 1000, height: 720 }), 'size'],
    [
      'a resolution contradicting the size',
      job('doubao-seedance-1-0-pro-250528', { width: 1280, height: 720, metadata: { resolution: '1080p' } }),
      'metadata.resolution',
    ],
    [
      'an image for the text-only lite model',
      job('doubao-seedance-1-0-lite-t2v-250428', { image: { kind: 'url', url: first } }),
      'image',
    ],
    ['no image for the image-only lite model', job('doubao-seedance-1-0-lite-i2v-250428'), 'image'],
    [
      'a last frame for pro-fast',
      job('doubao-seedance-1-0-pro-fast-251015', {
        image: { kind: 'url', url: first },
        metadata: { last_frame: last },
      }),
      'metadata.last_frame',
    ],
    [
      'a last frame without a first',
      job('doubao-seedance-1-0-pro-250528', { metadata: { last_frame: last } }),
      'metadata.last_frame',
    ],
    [
      'reference images for a pro model',
      job('doubao-seedance-1-0-pro-250528', { metadata: { reference_images: [first] } }),
      'metadata.reference_images',
    ],
    [
      'five reference images',
      job('doubao-seedance-1-0-lite-i2v-250428', {
        metadata: { reference_images: [first, first, first, first, first] },
      }),
      'metadata.reference_images',
    ],
    [
      'audio on a 1.0 model',
      job('doubao-seedance-1-0-pro-250528', { metadata: { generate_audio: true } }),
      'metadata.generate_audio',
    ],
    [
      'an adaptive ratio without an image',
      job('doubao-seedance-1-0-pro-250528', { metadata: { ratio: 'adaptive' } }),
      'metadata.ratio',
    ],
    ['a frame rate', job('doubao-seedance-1-0-pro-250528', { fps: 30 }), 'fps'],
    [
      'an unknown metadata key',
      job('doubao-seedance-1-0-pro-250528', { metadata: { frames: 121 } }),
      'metadata.frames',
    ],
    ['a model Seedance does not serve', job('doubao-seedance-9'), 'model'],
  ])('refuses %s with a 400 naming the field', (_, j, param) => {
    expect(paramOf(() => prepare(j))).toBe(param);
  });

  it('warns that a flex task may outlast the wait', () => {
    expect(
      prepare(job('doubao-seedance-1-0-pro-250528', { metadata: { service_tier: 'flex' } })).warnings,
    ).toEqual([expect.objectContaining({ feature: 'metadata.service_tier' })]);
  });
});

describe('Seedance callbacks', () => {
  it('polls only on a callback that reports an end', () => {
    const worth = (status: string) => seedanceAdapter.callbackWorthAPoll!({ id: 'cgt-1', status });
    expect(['queued', 'running'].map(worth)).toEqual([false, false]);
    expect(['succeeded', 'failed', 'expired', 'cancelled'].map(worth)).toEqual([true, true, true, true]);
    expect(seedanceAdapter.callbackWorthAPoll!('not json')).toBe(true);
  });
});
