import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../simulator/server.js';
import { BlockedTargetError, GuardedFetch, isInternalUrl, isPublicAddress } from './fetch-guard.js';

describe('the SSRF guard on vendor-given URLs', () => {
  let sim: RunningSimulator;
  let fetch: GuardedFetch;
  let file: string;

  beforeAll(async () => {
    sim = await startSimulator();
    fetch = new GuardedFetch({ connectMs: 1_000, idleMs: 2_000 });
    file = sim.world.publishVideo(60_000);
  });
  afterAll(async () => {
    await fetch.close();
    await sim.close();
  });

  it('tells public addresses from loopback, private, link-local and mapped ones', () => {
    for (const address of ['8.8.8.8', '2606:4700:4700::1111']) expect(isPublicAddress(address)).toBe(true);
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('knows a channel base URL inside the network, by address or by name', async () => {
    expect(await isInternalUrl('http://127.0.0.1:4010/kling')).toBe(true);
    expect(await isInternalUrl('http://localhost:4010/kling')).toBe(true);
    expect(await isInternalUrl('https://8.8.8.8/v1')).toBe(false);
  });

  it('refuses an internal target unless the channel is internal itself', async () => {
    await expect(
      fetch.get({ url: sim.url + file, headers: {}, allowInternal: false }),
    ).rejects.toBeInstanceOf(BlockedTargetError);
    // A name is checked on the address it resolves to, when connecting.
    const byName = sim.url.replace('127.0.0.1', 'localhost') + file;
    await expect(fetch.get({ url: byName, headers: {}, allowInternal: false })).rejects.toThrow(
      /not a public address/,
    );
    await expect(
      fetch.get({ url: 'file:///etc/passwd', headers: {}, allowInternal: true }),
    ).rejects.toBeInstanceOf(BlockedTargetError);

    const allowed = await fetch.get({ url: sim.url + file, headers: {}, allowInternal: true });
    expect(allowed.statusCode).toBe(200);
    await allowed.body.dump();
  });
});
