import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, testDatabases, type HarnessOptions } from '../../test/support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.js';

interface DeliveryView {
  id: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: { attempt: number; status_code: number | null; error: string | null }[];
}

describe.each(testDatabases())('webhooks on %s', (database) => {
  const harnesses: Harness[] = [];
  const receivers: WebhookReceiver[] = [];
  afterEach(async () => {
    for (const h of harnesses.reverse()) await h.close();
    for (const r of receivers) await r.close();
    harnesses.length = 0;
    receivers.length = 0;
  });

  async function start(options: HarnessOptions = {}) {
    const h = await Harness.start({ database, ...options });
    harnesses.push(h);
    return h;
  }

  async function receiver() {
    const r = await startWebhookReceiver();
    receivers.push(r);
    return r;
  }

  /** A user whose key's webhook secret the test knows. */
  async function client(h: Harness) {
    const user = await h.admin('POST', '/users', { name: 'webhook client' });
    const key = await h.admin('POST', `/users/${user.body.id}/keys`, {});
    return {
      userId: user.body.id as string,
      keyId: key.body.id as string,
      key: key.body.key as string,
      secret: key.body.webhook_secret as string,
    };
  }

  /** A gateway with a Kling channel, a client with a known webhook secret, and a receiver. */
  async function scene(options: HarnessOptions = {}) {
    const h = await start(options);
    await h.channel('kling');
    return { h, hook: await receiver(), ...(await client(h)) };
  }

  /** Submits a Kling task that reports to `url`. */
  async function submitTo(h: Harness, key: string, url: string, prompt = 'a lighthouse') {
    const res = await h.submit(key, { model: 'kling-v1', prompt, callback_url: url });
    expect(res.status).toBe(200);
    return res.body.task_id as string;
  }

  /** The task's deliveries once none is pending any more. */
  async function settledDeliveries(h: Harness, key: string, taskId: string): Promise<DeliveryView[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await h.http('GET', `/v1/video/generations/${taskId}/deliveries`, { token: key });
      expect(res.status).toBe(200);
      const deliveries = res.body.data as DeliveryView[];
      if (deliveries.length > 0 && deliveries.every((d) => d.status !== 'pending')) return deliveries;
      if (Date.now() > deadline) throw new Error(`deliveries still pending: ${JSON.stringify(deliveries)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('delivers one webhook per task end, signed so that standardwebhooks verifies it', async () => {
    const { h, hook, key, secret } = await scene();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const taskId = await submitTo(h, key, hook.url);
    const done = await h.waitForEnd(key, taskId);
    expect(done.body.status).toBe('succeeded');

    const [delivery] = await settledDeliveries(h, key, taskId);
    expect(delivery).toMatchObject({ url: hook.url, status: 'delivered' });
    expect(delivery!.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status_code: 204, error: null }),
    ]);
    expect(hook.received).toHaveLength(1);

    const [webhook] = hook.received;
    expect(webhook!.headers['webhook-id']).toBe(delivery!.id);
    expect(webhook!.headers['content-type']).toBe('application/json');
    // The payload is the task exactly as the generations surface shows it.
    expect(new Webhook(secret).verify(webhook!.body, webhook!.headers)).toEqual(done.body);
    const stranger = new Webhook(`whsec_${Buffer.from('not the key secret').toString('base64')}`);
    expect(() => stranger.verify(webhook!.body, webhook!.headers)).toThrow(/signature/i);
  });

  it("reports a failed task too, and to the key's webhook_url unless the task names its own", async () => {
    const { h, hook: keyHook, userId, keyId, key, secret } = await scene();
    const taskHook = await receiver();
    const patched = await h.admin('PATCH', `/users/${userId}/keys/${keyId}`, { webhook_url: keyHook.url });
    expect(patched.status).toBe(200);
    expect(patched.body.webhook_url).toBe(keyHook.url);

    h.sim.world.inject('kling', 'poll', { type: 'task_fails', reason: 'the model refused the scene' });
    const failing = await h.submit(key, { model: 'kling-v1', prompt: 'to the key url' });
    await settledDeliveries(h, key, failing.body.task_id);
    const own = await h.submit(key, {
      model: 'kling-v1',
      prompt: 'to my own url',
      metadata: { callback_url: taskHook.url },
    });
    await settledDeliveries(h, key, own.body.task_id);

    expect(keyHook.received).toHaveLength(1);
    const failed = new Webhook(secret).verify(keyHook.received[0]!.body, keyHook.received[0]!.headers);
    expect(failed).toMatchObject({
      task_id: failing.body.task_id,
      status: 'failed',
      error: { code: 'generation_failed', message: expect.stringContaining('refused the scene') },
    });
    expect(taskHook.received).toHaveLength(1);
    expect(JSON.parse(taskHook.received[0]!.body)).toMatchObject({ task_id: own.body.task_id });
  });

  it('keeps trying a receiver that fails three times, with the same webhook-id, until it takes it', async () => {
    const { h, hook, key, secret } = await scene();
    hook.failNext(3);
    const taskId = await submitTo(h, key, hook.url);

    const [delivery] = await settledDeliveries(h, key, taskId);
    expect(delivery!.status).toBe('delivered');
    expect(delivery!.attempts.map((a) => a.status_code)).toEqual([500, 500, 500, 204]);
    expect(delivery!.attempts[0]!.error).toBe('HTTP 500');
    expect(hook.received.map((r) => r.headers['webhook-id'])).toEqual(Array(4).fill(delivery!.id));
    expect(hook.delivered()).toHaveLength(1);
    const last = hook.delivered()[0]!;
    expect(new Webhook(secret).verify(last.body, last.headers)).toMatchObject({ status: 'succeeded' });
  });

  it('delivers after a restart a webhook that was still being retried', async () => {
    const { h: first, hook, key, secret } = await scene();
    hook.failNext(1_000_000);
    const taskId = await submitTo(first, key, hook.url);
    await hook.waitFor(2);
    await first.stopGateway();
    const failedBefore = hook.received.length;
    hook.failNext(0);

    const second = await start({ reuse: first });
    const [delivery] = await settledDeliveries(second, key, taskId);
    expect(delivery!.status).toBe('delivered');
    expect(delivery!.attempts).toHaveLength(failedBefore + 1);
    expect(hook.delivered()).toHaveLength(1);
    expect(new Set(hook.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery!.id]));
    const last = hook.delivered()[0]!;
    expect(new Webhook(secret).verify(last.body, last.headers)).toMatchObject({ task_id: taskId });
  });

  it('gives up once the retry window has passed, and says so', async () => {
    const { h, hook, key } = await scene({ config: { WEBHOOK_RETRY_WINDOW_HOURS: 0.3 / 3600 } });
    hook.failNext(1_000_000);
    const [delivery] = await settledDeliveries(h, key, await submitTo(h, key, hook.url));
    expect(delivery!.status).toBe('failed');
    expect(delivery!.attempts.length).toBeGreaterThanOrEqual(2);
    expect(delivery!.attempts.every((a) => a.status_code === 500)).toBe(true);
  });

  it('signs with a rotated secret from then on, and the old one no longer verifies', async () => {
    const { h, hook, userId, keyId, key, secret: old } = await scene();
    const rotated = await h.admin('POST', `/users/${userId}/keys/${keyId}/webhook-secret`);
    expect(rotated.status).toBe(200);
    const secret = rotated.body.webhook_secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(old);
    const listed = await h.admin('GET', `/users/${userId}/keys`);
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(6));

    await settledDeliveries(h, key, await submitTo(h, key, hook.url));
    const [webhook] = hook.received;
    expect(new Webhook(secret).verify(webhook!.body, webhook!.headers)).toMatchObject({
      status: 'succeeded',
    });
    expect(() => new Webhook(old).verify(webhook!.body, webhook!.headers)).toThrow();
  });

  it("shows deliveries to the task's owner and the admin, and to nobody else", async () => {
    const { h, hook, key } = await scene();
    const other = await h.user();
    const taskId = await submitTo(h, key, hook.url);
    const [delivery] = await settledDeliveries(h, key, taskId);

    const admin = await h.admin('GET', `/tasks/${taskId}/deliveries`);
    expect(admin.status).toBe(200);
    expect(admin.body.data).toEqual([delivery]);
    const snooping = await h.http('GET', `/v1/video/generations/${taskId}/deliveries`, { token: other.key });
    expect(snooping.status).toBe(404);
    expect(snooping.body).toMatchObject({ type: 'not_found_error', param: 'task_id' });
    expect((await h.admin('GET', '/tasks/task_nope/deliveries')).status).toBe(404);
  });

  describe('targets inside the network', () => {
    const publicOnly = { config: { WEBHOOK_ALLOWED_NETWORKS: '' } };

    it.each([
      ['a loopback address', { callback_url: 'http://127.0.0.1:8080/hook' }, 'callback_url'],
      ['an IPv6 loopback address', { callback_url: 'http://[::1]/hook' }, 'callback_url'],
      ['a cloud metadata address', { callback_url: 'http://169.254.169.254/latest' }, 'callback_url'],
      ['a private address', { metadata: { callback_url: 'http://10.1.2.3/hook' } }, 'metadata.callback_url'],
      ['an IPv4-mapped private address', { callback_url: 'http://[::ffff:192.168.0.1]/' }, 'callback_url'],
    ])('refuses at submit %s, naming the field, and stores no task', async (_name, fields, param) => {
      const { h, key } = await scene(publicOnly);
      const res = await h.submit(key, { model: 'kling-v1', prompt: 'x', ...fields });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        type: 'invalid_request_error',
        param,
        code: 'webhook_target_not_allowed',
      });
      expect(h.sim.world.requests('kling', 'submit')).toBe(0);
    });

    it("refuses a key's webhook_url on a private address", async () => {
      const { h, userId, keyId } = await scene(publicOnly);
      const res = await h.admin('PATCH', `/users/${userId}/keys/${keyId}`, {
        webhook_url: 'http://192.168.1.1/hook',
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ param: 'webhook_url' });
      const keys = await h.admin('GET', `/users/${userId}/keys`);
      expect(keys.body.data[0].webhook_url).toBeNull();
    });

    it('never connects to a name that resolves to loopback, and does not retry it', async () => {
      const { h, hook, key } = await scene(publicOnly);
      const taskId = await submitTo(h, key, hook.url.replace('127.0.0.1', 'localhost'));

      const [delivery] = await settledDeliveries(h, key, taskId);
      expect(delivery!.status).toBe('failed');
      expect(delivery!.attempts).toEqual([
        expect.objectContaining({
          status_code: null,
          error: expect.stringContaining('not a public address'),
        }),
      ]);
      expect(hook.received).toHaveLength(0);
    });
  });
});
