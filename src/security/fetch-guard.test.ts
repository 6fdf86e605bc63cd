import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../simulator/server.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BlockedTargetError,
  GuardedFetch,
  internalOriginOf,
  isInternalUrl,
  isPublicAddress,
} from './fetch-guard.js';

describe('the SSRF guard on vendor-given URLs', () => {
  let sim: RunningSimulator;
  let fetch: GuardedFetch;
  let file: string;
  const simOrigin = () => new URL(sim.url).host;

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
      fetch.get({ url: sim.url + file, headers: {}, internalOrigin: null }),
    ).rejects.toBeInstanceOf(BlockedTargetError);
    // A name is checked on the address it resolves to, when connecting.
    const byName = sim.url.replace('127.0.0.1', 'localhost') + file;
    await expect(fetch.get({ url: byName, headers: {}, internalOrigin: null })).rejects.toThrow(
      /not a public address/,
    );
    await expect(
      fetch.get({ url: 'file:///etc/passwd', headers: {}, internalOrigin: simOrigin() }),
    ).rejects.toBeInstanceOf(BlockedTargetError);

    const allowed = await fetch.get({ url: sim.url + file, headers: {}, internalOrigin: simOrigin() });
    expect(allowed.statusCode).toBe(200);
    await allowed.body.dump();
  });

  it("opens only the channel's own internal origin, and never link-local or metadata addresses", async () => {
    expect(await internalOriginOf(sim.baseUrl('kling'))).toBe(simOrigin());
    expect(await internalOriginOf('https://api.klingai.com')).toBeNull();
    // Another service on the same machine, at another port: not the channel's origin.
    const other = createServer((_req, res) => res.end('internal admin page'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
    try {
      await expect(
        fetch.get({ url: otherUrl, headers: {}, internalOrigin: simOrigin() }),
      ).rejects.toBeInstanceOf(BlockedTargetError);
    } finally {
      other.close();
    }
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/',
      'http://100.100.100.200/',
    ])
      await expect(
        fetch.get({ url, headers: {}, internalOrigin: new URL(url).host.replace(/^\[|\]$/g, '') + ':80' }),
      ).rejects.toBeInstanceOf(BlockedTargetError);
  });
});
