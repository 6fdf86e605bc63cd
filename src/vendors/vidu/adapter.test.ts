import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../errors.js';
import {
  first,
  gifBase64,
  last,
  pngBase64,
  prepareVidu as prepare,
  originViduExample,
  seedViduWireBody,
} from '../../../test/support/vidu.js';
import { viduAdapter } from './adapter.js';

/** The param a refused request names. */
function refusedParam(request: Record<string, unknown>): string | null {
  try {
    prepare(request);
  } catch (err) {
    if (err instanceof InvalidRequestError) return err.param;
    throw err;
  }
  throw new Error('the request was accepted');
}

describe('Vidu endpoint choice', () => {
  it.each([
    ['no image', {}, '/ent/v2/text2video', undefined],
    ['one image', { image: first }, '/ent/v2/img2video', [first]],
    [
      'image and metadata.image_tail',
      { image: first, metadata: { image_tail: last } },
      '/ent/v2/start-end2video',
      [first, last],
    ],
    [
      'two metadata.images',
      { metadata: { images: [first, last] } },
      '/ent/v2/start-end2video',
      [first, last],
    ],
    [
      'three metadata.images',
      { model: 'viduq2', metadata: { images: [first, last, first] } },
      '/ent/v2/reference2video',
      [first, last, first],
    ],
    [
      'metadata.reference_images',
      { model: 'viduq2', metadata: { reference_images: [first] } },
      '/ent/v2/reference2video',
      [first],
    ],
    [
      'metadata.action naming reference2video',
      { model: 'viduq2', metadata: { action: 'reference2video', images: [first, last] } },
      '/ent/v2/reference2video',
      [first, last],
    ],
    [
      "new-api's action name",
      { metadata: { action: 'referenceGenerate', images: [first, last] } },
      '/ent/v2/reference2video',
      [first, last],
    ],
  ])('%s goes to %s', (_, request, path, images) => {
    const prepared = prepare(request);
    expect(prepared.path).toBe(path);
    expect(prepared.body.images).toEqual(images);
  });

  it('sends base64 images with the data: prefix Vidu requires', () => {
    expect(prepare({ image: pngBase64 }).body.images).toEqual([`data:image/png;base64,${pngBase64}`]);
    expect(prepare({ image: `data:image/webp;base64,${pngBase64}` }).body.images).toEqual([
      `data:image/webp;base64,${pngBase64}`,
    ]);
  });

  it.each([
    ['image and metadata.images together', { image: first, metadata: { images: [last] } }, 'metadata.images'],
    ['a last frame without a first', { metadata: { image_tail: last } }, 'metadata.image_tail'],
    [
      'reference images with a first frame',
      { image: first, metadata: { reference_images: [last] } },
      'metadata.reference_images',
    ],
    ['text2video with an image', { image: first, metadata: { action: 'text2video' } }, 'metadata.action'],
    [
      'img2video with a last frame',
      { image: first, metadata: { action: 'img2video', image_tail: last } },
      'metadata.action',
    ],
    [
      'start-end2video with one image',
      { image: first, metadata: { action: 'start-end2video' } },
      'metadata.action',
    ],
    [
      'eight reference images',
      { model: 'viduq2', metadata: { reference_images: Array(8).fill(first) } },
      'metadata.reference_images',
    ],
    [
      'vidu2.0 with four reference images',
      { model: 'vidu2.0', metadata: { reference_images: Array(4).fill(first) } },
      'metadata.reference_images',
    ],
    ['an unknown action', { metadata: { action: 'upscale' } }, 'metadata.action'],
    ['a GIF', { image: gifBase64 }, 'image'],
    [
      'a model reference2video does not take',
      { model: 'viduq2-pro', metadata: { reference_images: [first] } },
      'model',
    ],
    ['a model img2video does not take', { model: 'viduq2', image: first }, 'model'],
    // A model that frames only (no text2video): the image is what is missing.
    ['a model text2video does not take', { model: 'vidu2.0' }, 'image'],
    ['an unknown metadata key', { metadata: { negative_prompt: 'blur' } }, 'metadata.negative_prompt'],
    [
      'aspect_ratio on img2video',
      { image: first, metadata: { aspect_ratio: '16:9' } },
      'metadata.aspect_ratio',
    ],
    ['style on img2video', { image: first, metadata: { style: 'anime' } }, 'metadata.style'],
    ['is_rec on text2video', { metadata: { is_rec: true } }, 'metadata.is_rec'],
    ['voice_id without audio', { image: first, metadata: { voice_id: 'host' } }, 'metadata.voice_id'],
    ['audio off-peak', { image: first, metadata: { audio: true, off_peak: true } }, 'metadata.off_peak'],
    ['a frame rate', { fps: 24 }, 'fps'],
  ])('refuses %s with a 400 naming %s', (_, request, param) => {
    expect(refusedParam(request)).toBe(param);
  });
});

describe('Vidu resolution and aspect ratio', () => {
  it.each([
    ['viduq1', '1920x1080', '1080p', '16:9'],
    ['viduq1', '1080x1920', '1080p', '9:16'],
    ['viduq2', '1280x720', '720p', '16:9'],
    ['viduq2', '720x1280', '720p', '9:16'],
    ['viduq2', '960x540', '540p', '16:9'],
    ['viduq2', '1440x1080', '1080p', '4:3'],
    ['viduq2', '720x720', '720p', '1:1'],
  ])('%s at size %s is sent as resolution %s, aspect_ratio %s', (model, size, resolution, aspect) => {
    const { body, expected } = prepare({ model, size });
    expect(body.resolution).toBe(resolution);
    expect(body.aspect_ratio).toBe(aspect);
    const [width, height] = size.split('x').map(Number);
    expect(expected).toMatchObject({ width, height });
  });

  it('reads width and height like size', () => {
    expect(prepare({ model: 'viduq2', width: 1280, height: 720 }).body).toMatchObject({
      resolution: '720p',
      aspect_ratio: '16:9',
    });
  });

  it("takes only the resolution from size on img2video, which follows the image's aspect ratio, and says so", () => {
    const { body, warnings, expected } = prepare({ model: 'vidu2.0', image: first, size: '640x360' });
    expect(body.resolution).toBe('360p');
    expect(body.aspect_ratio).toBeUndefined();
    expect(expected).toMatchObject({ width: null, height: null });
    expect(warnings.map((w) => w.details).join(' ')).toMatch(/follows the input image's aspect ratio/);
  });

  it.each([
    ['viduq2', {}, '720p'],
    ['viduq1', {}, '1080p'],
    ['vidu2.0', { image: first }, '360p'],
    ['vidu2.0', { image: first, duration: 8 }, '720p'],
  ])("sends %s's default resolution when none is asked for", (model, request, resolution) => {
    expect(prepare({ model, ...request }).body.resolution).toBe(resolution);
  });

  it('accepts metadata.resolution that agrees with size', () => {
    expect(prepare({ size: '1920x1080', metadata: { resolution: '1080p' } }).body.resolution).toBe('1080p');
  });

  it.each([
    [
      'metadata.resolution contradicting size',
      { model: 'viduq2', size: '1920x1080', metadata: { resolution: '720p' } },
      'metadata.resolution',
    ],
    [
      'metadata.aspect_ratio contradicting size',
      { model: 'viduq2', size: '1920x1080', metadata: { aspect_ratio: '1:1' } },
      'metadata.aspect_ratio',
    ],
    ['a size with no Vidu resolution', { size: '1000x600' }, 'size'],
    ['a size with no Vidu aspect ratio', { model: 'viduq2', size: '1080x2160' }, 'size'],
    ['a resolution the model does not render', { size: '1280x720' }, 'size'],
    [
      '540p on viduq2-pro-fast',
      { model: 'viduq2-pro-fast', image: first, metadata: { resolution: '540p' } },
      'metadata.resolution',
    ],
    [
      '1080p on vidu2.0 at 8 seconds',
      { model: 'vidu2.0', image: first, duration: 8, size: '1920x1080' },
      'size',
    ],
    ['4:3 on viduq1', { metadata: { aspect_ratio: '4:3' } }, 'metadata.aspect_ratio'],
  ])('refuses %s with a 400 naming %s', (_, request, param) => {
    expect(refusedParam(request)).toBe(param);
  });
});

describe('Vidu durations', () => {
  it.each([
    ['viduq2', {}, 5],
    ['viduq1', {}, 5],
    ['vidu2.0', { image: first }, 4],
  ])('sends %s its default duration when none is asked for', (model, request, duration) => {
    const { body, expected } = prepare({ model, ...request });
    expect(body.duration).toBe(duration);
    expect(expected.durationSeconds).toBe(duration);
  });

  it('takes metadata.duration alone, or agreeing with duration', () => {
    expect(prepare({ model: 'viduq2', metadata: { duration: 8 } }).body.duration).toBe(8);
    expect(prepare({ model: 'viduq2', duration: 8, metadata: { duration: 8 } }).body.duration).toBe(8);
  });

  it.each([
    ['8 seconds on viduq1', { duration: 8 }, 'duration'],
    [
      '10 seconds on start-end2video',
      { model: 'viduq2-pro', image: first, metadata: { image_tail: last, duration: 10 } },
      'metadata.duration',
    ],
    ['6 seconds on vidu2.0', { model: 'vidu2.0', image: first, duration: 6 }, 'duration'],
    ['fractional seconds', { duration: 5.5 }, 'duration'],
    [
      'metadata.duration contradicting duration',
      { duration: 5, metadata: { duration: 4 } },
      'metadata.duration',
    ],
  ])('refuses %s with a 400 naming %s', (_, request, param) => {
    expect(refusedParam(request)).toBe(param);
  });
});

describe("the origin document's Vidu example", () => {
  it('becomes exactly this img2video call: zeros and falses sent, callback_url kept for Reelay', () => {
    const { path, body, expected } = prepare(originViduExample);
    expect(path).toBe('/ent/v2/img2video');
    expect(body).toEqual(seedViduWireBody);
    expect(expected).toEqual({
      durationSeconds: 5,
      fps: null,
      width: null,
      height: null,
      seed: null,
      shortSide: 1080,
    });
  });

  it('sends the top-level seed, 0 included, and every explicit false', () => {
    const { body } = prepare({ seed: 0, metadata: { off_peak: false, watermark: false, bgm: false } });
    expect(body).toMatchObject({ seed: 0, off_peak: false, watermark: false, bgm: false });
    expect(prepare({ seed: 42 }).expected.seed).toBe(42);
    expect(refusedParam({ seed: 1, metadata: { seed: 2 } })).toBe('metadata.seed');
  });

  it('warns when a q2 model will ignore what was asked', () => {
    expect(prepare({ model: 'viduq2', metadata: { movement_amplitude: 'large' } }).warnings).toEqual([
      {
        feature: 'metadata.movement_amplitude',
        details: 'Vidu viduq2 ignores movement_amplitude on text2video',
      },
    ]);
    expect(prepare({ model: 'viduq2', metadata: { movement_amplitude: 'auto' } }).warnings).toEqual([]);
  });
});

describe('Vidu poll answers', () => {
  const answer = (json: unknown, status = 200) => ({ status, headers: {}, json, text: JSON.stringify(json) });

  it('never fails a task on a state it does not know', () => {
    expect(
      viduAdapter.readPoll(answer({ state: 'scheduled', err_code: '', creations: [] }), {}),
    ).toMatchObject({
      kind: 'retry_later',
      message: expect.stringContaining('"scheduled"'),
    });
  });

  it('does not take success without a video for an end', () => {
    expect(viduAdapter.readPoll(answer({ state: 'success', creations: [] }), {}).kind).toBe('retry_later');
  });

  it('explains an err_code it does not know by naming it', () => {
    expect(viduAdapter.readPoll(answer({ state: 'failed', err_code: 'NewReason' }), {})).toEqual({
      kind: 'failed',
      code: 'generation_failed',
      message: 'Vidu reported the task failed (err_code NewReason)',
    });
  });
});
