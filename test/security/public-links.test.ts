/**
 * Finding 10 of the security review: without PUBLIC_URL, links follow the request; `npm start` says so, and a
 * proxy's X-Forwarded-Proto/Host are believed only with TRUST_PROXY.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, startupWarnings } from '../../src/config.js';
import { Harness } from '../support/harness.js';

const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'videos.example.com' };

describe('links behind a proxy', () => {
  const harnesses: Harness[] = [];
  afterAll(async () => {
    for (const h of harnesses) await h.close();
  });

  async function linkOfATask(config: Parameters<typeof Harness.start>[0]) {
    const h = await Harness.start(config);
    harnesses.push(h);
    await h.channel('kling');
    const { key } = await h.user();
    const task = await h.submit(key, { model: 'kling-v1', prompt: 'a kite' });
    await h.waitForEnd(key, task.body.task_id);
    const res = await h.http('GET', `/v1/video/generations/${task.body.task_id}`, {
      token: key,
      headers: forwarded,
    });
    return { url: res.body.url as string, own: h.url };
  }

  it('follow X-Forwarded-Proto and -Host with TRUST_PROXY', async () => {
    const { url } = await linkOfATask({ config: { TRUST_PROXY: true } });
    expect(url).toMatch(/^https:\/\/videos\.example\.com\/v1\/videos\//);
  });

  it('ignore them without', async () => {
    const { url, own } = await linkOfATask({});
    expect(url.startsWith(`${own}/v1/videos/`)).toBe(true);
  });

  it('are warned about at start when PUBLIC_URL is unset', () => {
    expect(startupWarnings(loadConfig({})).join()).toMatch(/PUBLIC_URL is unset/);
    expect(startupWarnings(loadConfig({ PUBLIC_URL: 'https://reelay.example.com' }))).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8' }).TRUST_PROXY).toBe('10.0.0.0/8');
  });
});
