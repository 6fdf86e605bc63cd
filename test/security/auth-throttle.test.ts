/**
 * Finding 3 of the security review: failed authentication is throttled per client address (429 with Retry-After,
 * in each surface's shape), unknown keys cost one lookup, and a short admin token is refused at start.
 */
import type { FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ApiKeyAuth } from '../../src/http/auth.js';
import { FailedAuthThrottle } from '../../src/security/auth-throttle.js';
import { Harness } from '../support/harness.js';

describe('failed authentication', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('refuses an address after too many wrong API keys with a 429 and Retry-After, on both surfaces', async () => {
    h = await Harness.start({ config: { AUTH_FAILURE_LIMIT: 5, AUTH_FAILURE_WINDOW_SECONDS: 60 } });
    const { key } = await h.user();
    for (let i = 0; i < 5; i++)
      expect((await h.http('GET', '/v1/video/generations', { token: `sk-wrong${i}` })).status).toBe(401);

    const seed = await h.http('GET', '/v1/video/generations', { token: 'sk-wrong-again' });
    expect(seed.status).toBe(429);
    expect(seed.body).toMatchObject({ type: 'rate_limit_error', code: 'too_many_failed_authentications' });
    expect(Number(seed.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(seed.headers['retry-after'])).toBeLessThanOrEqual(60);

    const openai = await h.http('GET', '/v1/videos', { token: 'sk-wrong-again' });
    expect(openai.status).toBe(429);
    expect(openai.body.error).toMatchObject({ code: 'too_many_failed_authentications' });
    // Until the window ends, the address is refused whatever it sends.
    expect((await h.http('GET', '/v1/videos', { token: key })).status).toBe(429);
  });

  it('counts wrong admin tokens the same way', async () => {
    h = await Harness.start({ config: { AUTH_FAILURE_LIMIT: 3 } });
    for (let i = 0; i < 3; i++)
      expect((await h.http('GET', '/admin/v1/users', { token: `not-the-token-${i}` })).status).toBe(401);
    const res = await h.http('GET', '/admin/v1/users', { token: 'still-not-the-token' });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body).toMatchObject({ code: 'too_many_failed_authentications', param: null });
  });

  it('looks an unknown key up once, however often it is tried', async () => {
    let lookups = 0;
    const auth = new ApiKeyAuth(
      async () => {
        lookups++;
        return undefined;
      },
      5_000,
      new FailedAuthThrottle(1_000, 60_000),
    );
    const request = { headers: { authorization: 'Bearer sk-guess' }, ip: '192.0.2.1' } as FastifyRequest;
    for (let i = 0; i < 10; i++) await expect(auth.authenticate(request)).rejects.toThrow('Invalid API key');
    expect(lookups).toBe(1);
  });

  it('refuses to start with an admin token shorter than 32 characters, saying how to make one', () => {
    expect(() => loadConfig({ REELAY_ADMIN_TOKEN: 'x'.repeat(31) })).toThrow(/at least 32.*openssl rand/);
    expect(loadConfig({ REELAY_ADMIN_TOKEN: 'x'.repeat(32) }).REELAY_ADMIN_TOKEN).toHaveLength(32);
  });
});
