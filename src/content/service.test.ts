import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';
import type { Config } from '../config.js';
import { sampleVideo } from '../simulator/server.js';
import { bytesOf, openaiClient, waitForVideo } from '../../test/support/openai.js';

describe.each(testDatabases())('content delivery settings on %s', (database) => {
  let h: Harness;
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'reelay-content-'));
  });
  afterEach(async () => {
    await h.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function start(config: Partial<Config>) {
    h = await Harness.start({ database, config });
    await h.channel('kling');
    const { key } = await h.user();
    return { key, client: openaiClient(h.url + '/v1', key) };
  }

  it("without re-hosting, streams from the vendor while the vendor has the video, and the generations url is the vendor's", async () => {
    const { key, client } = await start({ REHOST_CONTENT: false });
    const { id } = await client.videos.create({ model: 'kling-v1', prompt: 'straight from the vendor' });
    expect((await waitForVideo(client, id, h)).expires_at).toBeNull();
    expect((await h.query(key, id)).body.url.startsWith(h.sim.url + '/files/')).toBe(true);
    expect(await bytesOf(await client.videos.downloadContent(id))).toEqual(sampleVideo);

    h.sim.world.expireAllFiles();
    await expect(client.videos.downloadContent(id)).rejects.toMatchObject({
      status: 404,
      code: 'video_expired',
    });
  });

  it("keeps a success whose result cannot be copied, with the vendor's URL", async () => {
    const notADirectory = join(scratch, 'file');
    writeFileSync(notADirectory, 'storage cannot live under a file');
    const { key, client } = await start({
      CONTENT_DIR: join(notADirectory, 'content'),
      REHOST_MAX_ATTEMPTS: 2,
    });
    const { id } = await client.videos.create({ model: 'kling-v1', prompt: 'uncopyable' });
    expect(await waitForVideo(client, id, h)).toMatchObject({ status: 'completed', expires_at: null });
    expect((await h.query(key, id)).body.url.startsWith(h.sim.url + '/files/')).toBe(true);
    expect(await bytesOf(await client.videos.downloadContent(id))).toEqual(sampleVideo);
  });

  it('builds content links on PUBLIC_URL when it is set', async () => {
    const { key, client } = await start({ PUBLIC_URL: 'https://videos.example.com/reelay' });
    const { id } = await client.videos.create({ model: 'kling-v1', prompt: 'behind a proxy' });
    await waitForVideo(client, id, h);
    expect((await h.query(key, id)).body.url).toMatch(
      new RegExp(
        `^https://videos\\.example\\.com/reelay/v1/videos/${id}/content\\?variant=video&expires=\\d+&signature=`,
      ),
    );
  });

  it('refuses content past its retention and removes it from storage', async () => {
    const { client } = await start({ CONTENT_DIR: scratch, CONTENT_RETENTION_HOURS: 1e-9 });
    const { id } = await client.videos.create({ model: 'kling-v1', prompt: 'ephemeral' });
    const done = await waitForVideo(client, id, h);
    expect(done.expires_at).toBe(done.completed_at);
    await expect(client.videos.downloadContent(id)).rejects.toMatchObject({
      status: 404,
      code: 'video_expired',
    });

    const [dayDir] = readdirSync(scratch);
    expect(readdirSync(join(scratch, dayDir!))).toEqual([
      expect.stringMatching(/^job_\w+-[0-9a-f]{8}-video$/),
    ]);
    expect(await h.gateway.deps.content.sweepExpired()).toBe(1);
    expect(readdirSync(join(scratch, dayDir!))).toEqual([]);
  });
});
