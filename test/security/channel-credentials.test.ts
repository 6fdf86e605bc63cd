/**
 * Finding 2 of the security review: credentials are write-only, so an admin cannot point a channel at a host of
 * their own and have Reelay send the stored vendor key there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

describe.each(testDatabases())('a channel moved to another base URL on %s', (database) => {
  let h: Harness;
  let catcher: WebhookReceiver;

  beforeAll(async () => {
    h = await Harness.start({ database });
    catcher = await startWebhookReceiver();
  });
  afterAll(async () => {
    await catcher.close();
    await h.close();
  });

  it('needs the credentials again, so the stored ones never reach the new host', async () => {
    const vidu = await h.channel('vidu');
    const moved = await h.admin('PATCH', `/channels/${vidu}`, { base_url: catcher.url });
    expect(moved.status).toBe(400);
    expect(moved.body).toMatchObject({ param: 'credentials', code: 'credentials_required' });
    expect((await h.admin('GET', `/channels/${vidu}`)).body.base_url).not.toBe(catcher.url);

    await h.admin('POST', `/channels/${vidu}/test`);
    expect(catcher.received).toEqual([]);
  });

  it('takes a new base URL with new credentials, and the same base URL without', async () => {
    const vidu = await h.channel('vidu');
    const { base_url } = (await h.admin('GET', `/channels/${vidu}`)).body;
    expect((await h.admin('PATCH', `/channels/${vidu}`, { base_url, priority: 3 })).status).toBe(200);
    const moved = await h.admin('PATCH', `/channels/${vidu}`, {
      base_url: catcher.url,
      credentials: { api_key: 'a-key-for-the-new-host' },
    });
    expect(moved.status).toBe(200);
    await h.admin('POST', `/channels/${vidu}/test`);
    expect(catcher.received.map((r) => r.headers.authorization)).toEqual(['Token a-key-for-the-new-host']);
  });
});
