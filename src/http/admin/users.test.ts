import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';

/** An operator edits a key's limits after it was made; the key's next request obeys them. */
describe.each(testDatabases())('editing an API key on %s', (database) => {
  let h: Harness;
  let alice: { userId: string; key: string; keyId: string };
  let bob: { userId: string; key: string; keyId: string };

  type KeyOwner = { userId: string; keyId: string };
  const edit = (body: unknown, owner: KeyOwner = alice) =>
    h.admin('PATCH', `/users/${owner.userId}/keys/${owner.keyId}`, body);
  const storedKey = async (owner: KeyOwner = alice) =>
    (await h.admin('GET', `/users/${owner.userId}/keys`)).body.data.find(
      (k: { id: string }) => k.id === owner.keyId,
    );
  // 5 s at 0.1 per second: 500,000 micro-units.
  const fiveSeconds = () => h.submit(alice.key, { model: 'kling-v1', prompt: 'a heron', duration: 5 });

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.channel('kling');
    await h.price('kling-v1', { unit: 'second', price: 100_000 });
    alice = await h.user({ name: 'first' });
    bob = await h.user();
    await h.topUp(alice.userId, 10_000_000);
  });
  afterAll(() => h.close());

  it('renames a key, and removes its name with null', async () => {
    const renamed = await edit({ name: '  render farm ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      id: alice.keyId,
      name: 'render farm',
      models: null,
      spend_limit: null,
    });
    expect((await edit({ name: null })).body.name).toBeNull();
    expect((await storedKey()).name).toBeNull();
  });

  it('narrows the models a key may use, and opens them all again with null', async () => {
    const narrowed = await edit({ models: ['kling-v2'] });
    expect(narrowed.body.models).toEqual(['kling-v2']);
    const refused = await fiveSeconds();
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'model_not_allowed', param: 'model' });

    expect((await edit({ models: null })).body.models).toBeNull();
    expect((await fiveSeconds()).status).toBe(200);
  });

  it('sets a spend limit the next submit is held to, raises it, and removes it with null', async () => {
    const spent = (await storedKey()).spent as number;
    expect((await edit({ spend_limit: spent + 400_000 })).body.spend_limit).toBe(spent + 400_000);
    const refused = await fiveSeconds();
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('key_spend_limit_reached');

    await edit({ spend_limit: spent + 500_000 });
    expect((await fiveSeconds()).status).toBe(200);
    expect((await storedKey()).spent).toBe(spent + 500_000);
    expect((await edit({ spend_limit: null })).body.spend_limit).toBeNull();
  });

  it('sets an expiry in the future and removes it with null', async () => {
    const inADay = Math.floor(Date.now() / 1000) + 86_400;
    expect((await edit({ expires_at: inADay })).body.expires_at).toBe(inADay);
    expect((await h.http('GET', '/v1/account', { token: alice.key })).body.key.expires_at).toBe(inADay);
    expect((await edit({ expires_at: null })).body.expires_at).toBeNull();
  });

  it('changes several settings at once, the webhook URL as before', async () => {
    const res = await edit({
      name: 'batch',
      spend_limit: 0,
      webhook_url: 'https://hooks.example.com/reelay',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'batch',
      spend_limit: 0,
      webhook_url: 'https://hooks.example.com/reelay',
    });
    expect((await edit({ webhook_url: null })).body).toMatchObject({ name: 'batch', webhook_url: null });
    await edit({ spend_limit: null });
  });

  it('refuses a bad edit with a 400 naming the field, and changes nothing', async () => {
    const before = await storedKey();
    const past = Math.floor(Date.now() / 1000) - 60;
    const cases: [unknown, string][] = [
      [{ name: '' }, 'name'],
      [{ name: 7 }, 'name'],
      [{ models: [] }, 'models'],
      [{ models: 'kling-v1' }, 'models'],
      [{ models: ['kling-v1', ''] }, 'models.1'],
      [{ expires_at: 1.5 }, 'expires_at'],
      [{ expires_at: '2030-01-01' }, 'expires_at'],
      [{ spend_limit: -1 }, 'spend_limit'],
      [{ spend_limit: 0.5 }, 'spend_limit'],
      [{ spend_limit: '100' }, 'spend_limit'],
      [{ webhook_url: 'ftp://example.com' }, 'webhook_url'],
      // Valid fields beside a bad one are not applied either.
      [{ name: 'never', expires_at: past }, 'expires_at'],
      [{ name: 'never', spent: 0 }, 'spent'],
      [{ key: 'sk-mine' }, 'key'],
      [{ user_id: bob.userId }, 'user_id'],
    ];
    for (const [body, param] of cases) {
      const res = await edit(body);
      expect({ body, status: res.status, param: res.body.param }).toEqual({ body, status: 400, param });
      expect(res.body.type).toBe('invalid_request_error');
    }
    expect((await edit({ name: 'x', user_id: bob.userId })).body.code).toBe('unknown_parameter');
    expect(await storedKey()).toEqual(before);
  });

  it("answers 404 for another user's key or an unknown one, and leaves it alone", async () => {
    const before = await storedKey();
    const crossed = await h.admin('PATCH', `/users/${bob.userId}/keys/${alice.keyId}`, { spend_limit: 0 });
    expect(crossed.status).toBe(404);
    expect(crossed.body.code).toBe('key_not_found');
    expect((await edit({ name: 'x' }, { userId: alice.userId, keyId: 'key_unknown' })).status).toBe(404);
    expect((await edit({ name: 'x' }, { userId: 'usr_unknown', keyId: alice.keyId })).status).toBe(404);
    expect(await storedKey()).toEqual(before);
    expect((await storedKey(bob)).spend_limit).toBeNull();
  });
});
