import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../test/support/harness.js';
import { mp4Facts } from '../../test/support/media.js';
import { originKlingExample } from '../../test/support/origin-examples.js';
import { clipAsked, simulatedClip } from './clips.js';

describe("the simulators' clips", () => {
  it.each([
    [
      { seconds: 5, width: 1280, height: 720 },
      { seconds: 5, width: 1280, height: 720 },
    ],
    [
      { seconds: 10, width: 1920, height: 1080 },
      { seconds: 10, width: 1920, height: 1080 },
    ],
    [
      { seconds: 12, width: 720, height: 1280 },
      { seconds: 12, width: 720, height: 1280 },
    ],
    [
      { seconds: 6, width: 1366, height: 768 },
      { seconds: 6, width: 1280, height: 720 },
    ],
    [
      { seconds: 4, width: 1024, height: 1792 },
      { seconds: 4, width: 1080, height: 1920 },
    ],
    [
      { seconds: 8, width: 1080, height: 1080 },
      { seconds: 8, width: 1080, height: 1080 },
    ],
    [{}, { seconds: 5, width: 1280, height: 720 }],
  ])('last as long as asked and take the nearest common size: %o', (asked, file) => {
    expect(mp4Facts(simulatedClip(asked))).toEqual(file);
  });

  it('are a few kilobytes', () => {
    expect(simulatedClip({ seconds: 10, width: 1920, height: 1080 }).length).toBeLessThan(10_000);
  });

  it.each([
    [
      'Kling',
      { duration: '10', aspect_ratio: '9:16', mode: 'pro' },
      { seconds: 10, width: 1080, height: 1920 },
    ],
    [
      'Vidu',
      { body: { duration: 4, resolution: '1080p', aspect_ratio: '1:1' } },
      { seconds: 4, width: 1080, height: 1080 },
    ],
    ['Jimeng', { frames: 241, aspect_ratio: '16:9' }, { seconds: 10, width: 1280, height: 720 }],
    [
      'Wan',
      { body: { parameters: { size: '1920*1080', duration: 5 } } },
      { seconds: 5, width: 1920, height: 1080 },
    ],
    ['Runway', { body: { ratio: '720:1280', duration: 8 } }, { seconds: 8, width: 720, height: 1280 }],
    ['Luma', { body: { duration: '9s', resolution: '720p' } }, { seconds: 9, width: 1280, height: 720 }],
    [
      'Veo',
      { body: { parameters: { durationSeconds: 6, aspectRatio: '9:16' } } },
      { seconds: 6, width: 720, height: 1280 },
    ],
    [
      'fal',
      { input: { duration: '8s', aspect_ratio: '16:9', resolution: '1080p' } },
      { seconds: 8, width: 1920, height: 1080 },
    ],
  ])('read what a %s request asked for', (_, request, asked) => {
    expect(clipAsked(request)).toEqual(asked);
  });

  it('deliver the short video a world was scripted to, whatever was asked', () => {
    expect(clipAsked({ duration: '10' }, 3).seconds).toBe(3);
  });

  describe('through the gateway', () => {
    let h: Harness;
    let key: string;
    beforeAll(async () => {
      h = await Harness.start();
      await h.channel('kling');
      await h.channel('openai');
      ({ key } = await h.user());
    });
    afterAll(() => h.close());

    async function download(url: string): Promise<Buffer> {
      const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      return Buffer.from(await res.arrayBuffer());
    }

    it("gives the origin document's Kling example a 5 s landscape video, as its metadata says", async () => {
      const submitted = await h.submit(key, originKlingExample);
      const done = await h.waitForEnd(key, submitted.body.task_id);
      expect(done.body.status).toBe('succeeded');
      const facts = mp4Facts(await download(done.body.url));
      expect(facts.seconds).toBe(5);
      expect(done.body.metadata.duration).toBe(5);
      expect(facts.width).toBeGreaterThan(facts.height);
    });

    it('gives a 12 s portrait Sora request a 12 s 720x1280 file on /v1/videos', async () => {
      const created = await h.http('POST', '/v1/videos', {
        token: key,
        body: { model: 'sora-2', prompt: 'a tall tower', seconds: '12', size: '720x1280' },
      });
      expect(created.status).toBe(200);
      let video = created.body;
      for (let i = 0; i < 600 && video.status !== 'completed' && video.status !== 'failed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        video = (await h.http('GET', `/v1/videos/${video.id}`, { token: key })).body;
      }
      expect(video).toMatchObject({ status: 'completed', seconds: '12', size: '720x1280' });
      await h.waitForCopies(video.id);
      const facts = mp4Facts(await download(`${h.url}/v1/videos/${video.id}/content`));
      expect(facts).toEqual({ seconds: 12, width: 720, height: 1280 });
    });
  });
});
