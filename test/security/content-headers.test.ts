/**
 * Finding 9 of the security review: content is served with nosniff and a sandboxing CSP, and only video and
 * raster images inline; whatever else a vendor labels its result (SVG, HTML) is a download of opaque bytes.
 */
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { servedContentHeaders } from '../../src/content/served-types.js';
import { Harness } from '../support/harness.js';

describe('served content', () => {
  const harnesses: Harness[] = [];
  afterAll(async () => {
    for (const h of harnesses) await h.close();
  });

  it.each([
    ['from Reelay’s copy', true],
    ['streamed from the vendor', false],
  ])('carries protective headers %s', async (_how, rehost) => {
    const h = await Harness.start({ config: { REHOST_CONTENT: rehost } });
    harnesses.push(h);
    await h.channel('kling');
    const { key } = await h.user();
    const task = await h.submit(key, { model: 'kling-v1', prompt: 'a boat' });
    await h.waitForEnd(key, task.body.task_id);
    const res = await request(`${h.url}/v1/videos/${task.body.task_id}/content`, {
      headers: { authorization: `Bearer ${key}` },
    });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': 'video/mp4',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
  });

  it('serves SVG, HTML and anything but video and raster images as an attachment', () => {
    for (const type of ['image/svg+xml', 'text/html; charset=utf-8', 'application/xml', 'image/svg+xml; a=b'])
      expect(servedContentHeaders(type)).toMatchObject({
        'content-type': 'application/octet-stream',
        'content-disposition': 'attachment',
        'x-content-type-options': 'nosniff',
      });
    for (const type of ['video/mp4', 'video/webm', 'image/png', 'image/jpeg', 'image/webp'])
      expect(servedContentHeaders(type)).not.toHaveProperty('content-disposition');
  });
});
