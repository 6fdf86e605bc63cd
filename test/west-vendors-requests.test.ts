/**
 * What Veo, Vertex, Runway and Luma receive for each model, and the per-model rules Reelay refuses with a 400
 * before calling them: a client on the generations surface, the real gateway, the simulators over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from './support/harness.js';
import { addWestChannels, aliasOf, imageUrl, pngBase64, type WestVendor } from './support/west.js';
import type { SimTask } from '../src/simulator/world.js';

const png = `data:image/png;base64,${pngBase64}`;
const veoImage = { bytesBase64Encoded: pngBase64, mimeType: 'image/png' };

/** [vendor, request, what the vendor received (a subset), the task's metadata (a subset)]. */
const mappings: [WestVendor, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>][] = [
  [
    'veo',
    {
      model: 'veo-3.1-generate-preview',
      prompt: 'p',
      size: '720x1280',
      duration: 6,
      metadata: { negativePrompt: 'rain', personGeneration: 'allow_adult' },
    },
    {
      model: 'veo-3.1-generate-preview',
      body: {
        instances: [{ prompt: 'p' }],
        parameters: {
          sampleCount: 1,
          durationSeconds: 6,
          aspectRatio: '9:16',
          resolution: '720p',
          negativePrompt: 'rain',
          personGeneration: 'allow_adult',
        },
      },
    },
    { duration: 6, width: 720, height: 1280, fps: 24 },
  ],
  [
    'veo',
    {
      model: 'veo-3.1-fast-generate-preview',
      prompt: 'p',
      image: png,
      size: '3840x2160',
      duration: 8,
      metadata: { lastFrame: pngBase64 },
    },
    {
      body: {
        instances: [{ prompt: 'p', image: veoImage, lastFrame: veoImage }],
        parameters: { resolution: '4k', aspectRatio: '16:9', durationSeconds: 8 },
      },
    },
    { width: 3840, height: 2160 },
  ],
  [
    'veo',
    { model: 'veo-3.0-fast-generate-001', prompt: 'p', size: '1920x1080' },
    {
      body: {
        instances: [{ prompt: 'p' }],
        parameters: { durationSeconds: 8, resolution: '1080p', aspectRatio: '16:9' },
      },
    },
    { duration: 8, width: 1920, height: 1080 },
  ],
  [
    'veo',
    { model: 'veo-2.0-generate-001', prompt: 'p', duration: 7, metadata: { enhancePrompt: true } },
    { body: { parameters: { durationSeconds: 7, resolution: '720p', enhancePrompt: true } } },
    { duration: 7, width: 1280, height: 720 },
  ],
  [
    'vertex',
    {
      model: 'veo-3.0-generate-001',
      prompt: 'p',
      seed: 12,
      metadata: { generateAudio: false, resizeMode: 'crop' },
    },
    {
      body: {
        parameters: {
          seed: 12,
          generateAudio: false,
          resizeMode: 'crop',
          storageUri: 'gs://reelay-sim-videos/reelay',
        },
      },
    },
    { seed: 12, duration: 8 },
  ],
  [
    'vertex',
    { model: 'veo-3.1-fast-generate-preview', prompt: 'p', image: png },
    { body: { instances: [{ prompt: 'p', image: veoImage }], parameters: { generateAudio: true } } },
    { duration: 8 },
  ],
  [
    'vertex',
    { model: 'veo-2.0-generate-001', prompt: 'p', duration: 5 },
    { body: { parameters: { durationSeconds: 5 } } },
    { duration: 5 },
  ],
  [
    'runway',
    {
      model: 'gen4_turbo',
      prompt: 'p',
      image: png,
      size: '1584x672',
      duration: 10,
      seed: 3,
      metadata: { contentModeration: { publicFigureThreshold: 'low' } },
    },
    {
      endpoint: 'image_to_video',
      body: {
        model: 'gen4_turbo',
        promptText: 'p',
        promptImage: png,
        ratio: '1584:672',
        duration: 10,
        seed: 3,
        contentModeration: { publicFigureThreshold: 'low' },
      },
    },
    { duration: 10, width: 1584, height: 672, seed: 3 },
  ],
  [
    'runway',
    { model: 'gen4.5', prompt: 'p', size: '720x1280', duration: 2 },
    { endpoint: 'text_to_video', body: { model: 'gen4.5', promptText: 'p', ratio: '720:1280', duration: 2 } },
    { duration: 2, width: 720, height: 1280 },
  ],
  [
    'runway',
    { model: 'veo3', prompt: 'p', size: '1920x1080', metadata: { negativePrompt: 'rain' } },
    {
      endpoint: 'text_to_video',
      body: { model: 'veo3', ratio: '1920:1080', duration: 8, negativePrompt: 'rain' },
    },
    { duration: 8, width: 1920, height: 1080 },
  ],
  [
    'runway',
    {
      model: 'veo3.1',
      prompt: 'p',
      duration: 4,
      metadata: {
        audio: false,
        promptImage: [
          { uri: imageUrl, position: 'first' },
          { uri: 'https://example.com/last.png', position: 'last' },
        ],
      },
    },
    {
      endpoint: 'image_to_video',
      body: {
        model: 'veo3.1',
        duration: 4,
        audio: false,
        promptImage: [
          { uri: imageUrl, position: 'first' },
          { uri: 'https://example.com/last.png', position: 'last' },
        ],
      },
    },
    { duration: 4 },
  ],
  [
    'runway',
    { model: 'veo3', prompt: 'p', image: imageUrl, size: '720x1280', duration: 8 },
    { endpoint: 'image_to_video', body: { model: 'veo3', promptImage: imageUrl, ratio: '720:1280' } },
    { duration: 8, width: 720, height: 1280 },
  ],
  [
    'runway',
    { model: 'veo3.1_fast', prompt: 'p', duration: 6 },
    { endpoint: 'text_to_video', body: { model: 'veo3.1_fast', ratio: '1280:720', duration: 6 } },
    { duration: 6 },
  ],
  [
    'luma',
    {
      model: 'ray-2',
      prompt: 'p',
      size: '2520x1080',
      duration: 9,
      metadata: { concepts: [{ key: 'dolly_zoom' }] },
    },
    {
      body: {
        generation_type: 'video',
        model: 'ray-2',
        prompt: 'p',
        aspect_ratio: '21:9',
        resolution: '1080p',
        duration: '9s',
        concepts: [{ key: 'dolly_zoom' }],
      },
    },
    { duration: 9, width: 2520, height: 1080 },
  ],
  [
    'luma',
    {
      model: 'ray-flash-2',
      prompt: 'p',
      image: imageUrl,
      metadata: { frame1: 'https://example.com/last.png', resolution: '540p', loop: false },
    },
    {
      body: {
        keyframes: {
          frame0: { type: 'image', url: imageUrl },
          frame1: { type: 'image', url: 'https://example.com/last.png' },
        },
        resolution: '540p',
        duration: '5s',
        loop: false,
      },
    },
    { duration: 5, height: 540 },
  ],
];

/** [vendor, the rule, request, the param the 400 names]. */
const refusals: [WestVendor, string, Record<string, unknown>, string][] = [
  ['veo', 'Veo 3 renders 4, 6 or 8 seconds', { model: 'veo-3.0-generate-001', duration: 5 }, 'duration'],
  ['veo', 'Veo 2 renders 5 to 8 seconds', { model: 'veo-2.0-generate-001', duration: 4 }, 'duration'],
  ['veo', 'Veo 2 renders 720p only', { model: 'veo-2.0-generate-001', size: '1920x1080' }, 'size'],
  ['veo', 'Veo 3.0 renders no 4k', { model: 'veo-3.0-generate-001', size: '3840x2160' }, 'size'],
  [
    'veo',
    '1080p is 8 seconds only',
    { model: 'veo-3.1-generate-preview', size: '1920x1080', duration: 4 },
    'duration',
  ],
  ['veo', 'only 16:9 and 9:16', { model: 'veo-3.1-generate-preview', size: '1080x1080' }, 'size'],
  [
    'veo',
    'Veo 3.0 takes no last frame',
    { model: 'veo-3.0-generate-001', image: png, metadata: { lastFrame: pngBase64 } },
    'metadata.lastFrame',
  ],
  ['veo', 'images as bytes, not URLs', { model: 'veo-3.1-generate-preview', image: imageUrl }, 'image'],
  [
    'veo',
    'the Gemini API takes no generateAudio',
    { model: 'veo-3.1-generate-preview', metadata: { generateAudio: true } },
    'metadata.generateAudio',
  ],
  ['veo', 'no fps', { model: 'veo-3.1-generate-preview', fps: 30 }, 'fps'],
  [
    'vertex',
    'Veo 2 generates no audio',
    { model: 'veo-2.0-generate-001', metadata: { generateAudio: true } },
    'metadata.generateAudio',
  ],
  [
    'vertex',
    'Veo 3.1 renders 4, 6 or 8 seconds',
    { model: 'veo-3.1-fast-generate-preview', duration: 10 },
    'duration',
  ],
  ['runway', 'gen4_turbo needs an image', { model: 'gen4_turbo' }, 'image'],
  [
    'runway',
    'gen4.5 text-to-video renders 1280x720 or 720x1280',
    { model: 'gen4.5', size: '960x960' },
    'size',
  ],
  ['runway', 'gen4.5 renders 2 to 10 seconds', { model: 'gen4.5', duration: 12 }, 'duration'],
  ['runway', 'veo3 renders 8 seconds only', { model: 'veo3', duration: 6 }, 'duration'],
  ['runway', 'veo3.1 renders the Veo ratios only', { model: 'veo3.1', size: '1584x672' }, 'size'],
  [
    'runway',
    'gen4.5 takes no audio option',
    { model: 'gen4.5', metadata: { audio: true } },
    'metadata.audio',
  ],
  [
    'runway',
    'gen4_turbo takes no last frame',
    {
      model: 'gen4_turbo',
      metadata: {
        promptImage: [
          { uri: imageUrl, position: 'first' },
          { uri: imageUrl, position: 'last' },
        ],
      },
    },
    'metadata.promptImage',
  ],
  ['runway', 'images over HTTPS only', { model: 'gen4_turbo', image: 'http://example.com/a.png' }, 'image'],
  ['luma', 'Ray 2 renders 5 or 9 seconds', { model: 'ray-2', duration: 7 }, 'duration'],
  ['luma', 'Luma fetches image URLs, not bytes', { model: 'ray-2', image: png }, 'image'],
  ['luma', 'Luma aspect ratios only', { model: 'ray-flash-2', size: '1000x300' }, 'size'],
  [
    'luma',
    'a last frame needs a first',
    { model: 'ray-2', metadata: { frame1: imageUrl } },
    'metadata.frame1',
  ],
  ['luma', 'unknown metadata', { model: 'ray-2', metadata: { seed: 1 } }, 'metadata.seed'],
];

describe.each(testDatabases())('what Veo, Vertex, Runway and Luma receive, on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await addWestChannels(h);
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  const lastTask = (vendor: string): SimTask =>
    [...h.sim.world.tasks.values()].filter((t) => t.vendor === vendor).at(-1)!;
  const submit = (vendor: WestVendor, request: Record<string, unknown>) =>
    h.submit(key, { prompt: 'p', ...request, model: aliasOf(vendor, String(request.model)) });

  it.each(mappings)(
    '%s: sends %j as the vendor expects and reaches succeeded',
    async (vendor, request, sent, facts) => {
      const submitted = await submit(vendor, request);
      expect(submitted.status).toBe(200);
      expect(lastTask(vendor).request).toMatchObject(sent);
      const done = await h.waitForEnd(key, submitted.body.task_id);
      expect(done.body.status).toBe('succeeded');
      expect(done.body.metadata).toMatchObject(facts);
    },
  );

  it.each(refusals)('%s: refuses before any call: %s', async (vendor, _rule, request, param) => {
    const before = h.sim.world.requests(vendor, 'submit');
    const res = await submit(vendor, request);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ param, type: 'invalid_request_error' });
    expect(h.sim.world.requests(vendor, 'submit')).toBe(before);
  });

  it('sends Runway veo3 image-to-video no duration (it has no such field) and expects 8 seconds', async () => {
    const res = await submit('runway', { model: 'veo3', image: imageUrl });
    expect(res.status).toBe(200);
    expect(lastTask('runway').request.body).not.toHaveProperty('duration');
    expect(res.body.metadata.duration).toBe(8);
  });

  it('warns that the Gemini API, Luma and Runway Veo models take no seed, and sends none', async () => {
    for (const [vendor, model] of [
      ['veo', 'veo-3.1-generate-preview'],
      ['luma', 'ray-2'],
      ['runway', 'veo3.1'],
    ] as const) {
      const res = await submit(vendor, { model, seed: 5 });
      expect(res.status).toBe(200);
      expect(res.body.warnings).toEqual([expect.stringMatching(/seed/)]);
      expect(JSON.stringify(lastTask(vendor).request)).not.toContain('"seed"');
    }
  });
});
