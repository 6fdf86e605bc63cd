/**
 * The admin audit trail: every change through the admin API is recorded (who, what, before and after with secrets
 * masked, when) and listed at GET /admin/v1/audit-log; a base URL change shows both URLs (finding 2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, Harness, testDatabases } from '../support/harness.js';
import { sha256Hex } from '../../src/security/secrets.js';

describe.each(testDatabases())('the admin audit trail on %s', (database) => {
  let h: Harness;
  const tokenPrint = sha256Hex(adminToken).slice(0, 8);

  beforeAll(async () => {
    h = await Harness.start({ database });
  });
  afterAll(() => h.close());

  const log = async (query = '') => (await h.admin('GET', `/audit-log${query}`)).body;

  it('records a channel created and moved to another base URL, credentials masked', async () => {
    const since = Math.floor(Date.now() / 1000);
    const channel = await h.channel('vidu');
    const moved = await h.admin('PATCH', `/channels/${channel}`, {
      base_url: 'https://api.example.com/vidu',
      credentials: { api_key: 'a-new-vendor-key' },
    });
    expect(moved.status).toBe(200);

    const { data } = await log();
    const patch = data.find((e: { action: string }) => e.action === `PATCH /admin/v1/channels/${channel}`);
    expect(patch).toMatchObject({ actor: `token:${tokenPrint}`, target: `/channels/${channel}` });
    expect(patch.at).toBeGreaterThanOrEqual(since);
    expect(patch.before.base_url).toBe(h.sim.baseUrl('vidu'));
    expect(patch.after.base_url).toBe('https://api.example.com/vidu');
    const created = data.find((e: { action: string }) => e.action === 'POST /admin/v1/channels');
    expect(created).toMatchObject({ before: null, after: { id: channel, credentials: 'set' } });
    expect(JSON.stringify(data)).not.toContain('a-new-vendor-key');
  });

  it('masks a new key and its webhook secret, and tells console sessions apart', async () => {
    const user = await h.admin('POST', '/users', { name: 'audited' });
    const key = await h.http('POST', `/admin/v1/users/${user.body.id}/keys`, {
      token: adminToken,
      body: { rpm: 5 },
      headers: { 'x-reelay-client': 'console' },
    });
    const { data } = await log('?limit=1');
    expect(data[0]).toMatchObject({
      actor: `console:${tokenPrint}`,
      action: `POST /admin/v1/users/${user.body.id}/keys`,
      after: { id: key.body.id, key: '***', webhook_secret: '***', rpm: 5 },
    });
    expect(JSON.stringify(data)).not.toContain(key.body.key);
  });

  it('records what a key and a balance were before an edit, a revocation and a top-up', async () => {
    const user = await h.admin('POST', '/users', { name: 'before-and-after' });
    const userPath = `/users/${user.body.id}`;
    const key = await h.admin('POST', `${userPath}/keys`, { name: 'first name', rpm: 5 });
    const entryFor = async (action: string) =>
      (await log('?limit=200')).data.find((e: { action: string }) => e.action === action);

    await h.admin('PATCH', `${userPath}/keys/${key.body.id}`, { name: 'second name', rpm: 9 });
    const edit = await entryFor(`PATCH /admin/v1${userPath}/keys/${key.body.id}`);
    expect(edit.before).toMatchObject({ id: key.body.id, name: 'first name', rpm: 5 });
    expect(edit.after).toMatchObject({ id: key.body.id, name: 'second name', rpm: 9 });

    await h.admin('POST', `${userPath}/topup`, { amount: 3_000_000 });
    const topUp = await entryFor(`POST /admin/v1${userPath}/topup`);
    expect(topUp.before).toMatchObject({ id: user.body.id, balance: 0 });
    expect(topUp.after).toMatchObject({ balance: 3_000_000 });

    await h.admin('DELETE', `${userPath}/keys/${key.body.id}`);
    const revoke = await entryFor(`DELETE /admin/v1${userPath}/keys/${key.body.id}`);
    expect(revoke.before).toMatchObject({ id: key.body.id, name: 'second name', revoked_at: null });
    expect(JSON.stringify(revoke)).not.toContain(key.body.key);
  });

  it('records nothing for reads and refused changes, and pages newest first', async () => {
    const before = (await log('?limit=200')).data.length;
    await h.admin('GET', '/channels');
    await h.admin('PATCH', '/channels/ch_missing', { priority: 1 });
    await h.admin('POST', '/users', { name: '' });
    expect((await log('?limit=200')).data).toHaveLength(before);

    const first = await log('?limit=1');
    expect(first.has_more).toBe(true);
    const next = await log(`?limit=1&before=${first.data[0].id}`);
    expect(next.data[0].id).not.toBe(first.data[0].id);
    expect(next.data[0].at).toBeLessThanOrEqual(first.data[0].at);
    expect((await h.admin('GET', '/audit-log?before=aud_none')).body.param).toBe('before');
    expect((await h.admin('GET', '/audit-log?limit=0')).status).toBe(400);
  });
});
