/** The Veo (Gemini API) and Vertex AI adapters against their simulators, over real HTTP, as the engine drives them. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { drive, jobOf, pngBase64 } from '../../../test/support/west.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import { defaultVeoAccount } from '../../simulator/veo.js';
import { setVertexTokenLifetime, vertexAccount } from '../../simulator/vertex.js';
import { Wire } from '../wire.js';
import { veoAdapter } from '../veo/adapter.js';
import { vertexAdapter } from '../vertex/adapter.js';
import type { VertexCredentials } from '../vertex/auth.js';

describe('Veo and Vertex adapters against their simulators', () => {
  let sim: RunningSimulator;
  const wire = new Wire();
  let vertexCredentials: VertexCredentials;

  beforeAll(async () => {
    // Long tasks: each test moves a task through its stages by backdating it.
    sim = await startSimulator({ taskDurationMs: 60_000 });
    vertexCredentials = vertexAccount(sim.baseUrl('vertex')) as VertexCredentials;
  });
  afterAll(async () => {
    await sim.close();
    await wire.close();
  });
  beforeEach(() => sim.world.reset());

  const veo = () => drive(veoAdapter, sim, wire, () => defaultVeoAccount);
  const vertex = () => drive(vertexAdapter, sim, wire, () => vertexCredentials);
  const job = jobOf({ upstreamModel: 'veo-3.1-fast-generate-preview' });

  describe.each([
    ['Veo', veo],
    ['Vertex', vertex],
  ] as const)('%s', (name, driver) => {
    const vendor = name.toLowerCase();
    it('reads a running operation, then a finished one whose video Reelay can fetch signed', async () => {
      const d = driver();
      const id = await d.accepted(job);
      expect(id).toMatch(/\/operations\/[0-9a-f]+$/);
      expect(await d.poll(id)).toEqual({ kind: 'processing', queued: false, progress: null });
      d.advance(id, 0.5);
      expect(await d.poll(id)).toEqual({ kind: 'processing', queued: false, progress: null });
      d.advance(id, 1);
      const done = await d.poll(id);
      if (done.kind !== 'succeeded') throw new Error(JSON.stringify(done));
      expect(done.url.startsWith('/')).toBe(true);
      // Vertex's storage answers the bytes; the Gemini API redirects to them, as Google's download does.
      const video = await d.send({ method: 'GET', path: done.url });
      if (video.status === 302) expect(video.headers.location).toMatch(/\/files\/\w+\.mp4$/);
      else expect(video.headers['content-type']).toBe('video/mp4');
    });

    it('fails an operation that ends in an error, or with its video filtered out for safety', async () => {
      const d = driver();
      sim.world.inject(vendor, 'submit', { type: 'task_fails', reason: 'Internal error' });
      const failed = await d.accepted(job);
      d.advance(failed, 1);
      expect(await d.poll(failed)).toEqual({
        kind: 'failed',
        code: 'generation_failed',
        message: 'Veo could not generate the video: Internal error (code 13)',
      });
      sim.world.inject(vendor, 'submit', { type: 'task_fails', reason: 'rai_filtered' });
      const filtered = await d.accepted(job);
      d.advance(filtered, 1);
      expect(await d.poll(filtered)).toMatchObject({ kind: 'failed', code: 'content_policy_violation' });
    });

    it('reads an operation Google no longer knows as lost, and 429 and 5xx as worth another try', async () => {
      const d = driver();
      const id = await d.accepted(job);
      const unknown = id.replace(/[0-9a-f]+$/, 'ffffffffffffffffff');
      expect(await d.poll(unknown)).toMatchObject({ kind: 'failed', code: 'vendor_task_lost' });
      sim.world.inject(vendor, 'poll', { type: 'rate_limit' });
      expect(await d.poll(id)).toMatchObject({ kind: 'retry_later', retryAfterMs: 1000 });
      sim.world.inject(vendor, 'submit', { type: 'http_error', status: 503 });
      expect(await d.submit(job)).toMatchObject({ kind: 'retry_later' });
    });

    it("rejects what Veo refuses as invalid, naming Google's reason", async () => {
      const d = driver();
      // A body the adapter never sends: the simulator's own check answers 400 INVALID_ARGUMENT.
      const { path } = (name === 'Veo' ? veoAdapter : vertexAdapter).prepareSubmit(job).call;
      const answer = await d.send({ method: 'POST', path, body: { instances: [] } });
      expect(vertexAdapter.readSubmit(answer)).toEqual({
        kind: 'rejected',
        code: 'vendor_invalid_request',
        message: expect.stringContaining('INVALID_ARGUMENT instances must hold exactly one instance'),
      });
    });
  });

  it("serves a Veo video only with the account's key", async () => {
    const d = veo();
    const id = await d.accepted(
      jobOf({
        upstreamModel: 'veo-2.0-generate-001',
        image: { kind: 'base64', data: pngBase64, mimeType: 'image/png' },
      }),
    );
    d.advance(id, 1);
    const done = await d.poll(id);
    if (done.kind !== 'succeeded') throw new Error(JSON.stringify(done));
    const withoutKey = await fetch(sim.baseUrl('veo') + done.url, { redirect: 'manual' });
    expect(withoutKey.status).toBe(403);
    const withKey = await fetch(sim.baseUrl('veo') + done.url, {
      headers: { 'x-goog-api-key': defaultVeoAccount.api_key },
    });
    expect(withKey.headers.get('content-type')).toBe('video/mp4');
  });

  it('reads a refused Gemini API key as a broken channel', async () => {
    const d = drive(veoAdapter, sim, wire, () => ({ api_key: 'AIza-wrong' }));
    expect(await d.submit(job)).toMatchObject({
      kind: 'channel_broken',
      message: expect.stringContaining('API key not valid'),
    });
  });

  it('mints Vertex tokens from the service account, reuses them, and mints a new one before each expires', async () => {
    setVertexTokenLifetime(sim.world, 2);
    try {
      const credentials = vertexAccount(sim.baseUrl('vertex')) as VertexCredentials;
      const d = drive(vertexAdapter, sim, wire, () => credentials);
      const id = await d.accepted(job);
      await d.poll(id);
      expect(sim.world.requests('vertex', 'token')).toBe(1);
      // Past three quarters of the token's life the adapter asks for a new one; the old one still works meanwhile.
      await new Promise((r) => setTimeout(r, 1600));
      expect(await d.poll(id)).toMatchObject({ kind: 'processing' });
      expect(sim.world.requests('vertex', 'token')).toBe(2);
      // Past the old token's expiry nothing is refused: the adapter holds the new one.
      await new Promise((r) => setTimeout(r, 600));
      expect(await d.poll(id)).toMatchObject({ kind: 'processing' });
      expect(sim.world.requests('vertex', 'unauthenticated')).toBe(0);
    } finally {
      setVertexTokenLifetime(sim.world, 3600);
    }
  });

  it('refuses an expired Vertex token, as Google does', async () => {
    setVertexTokenLifetime(sim.world, 1);
    try {
      const credentials = vertexAccount(sim.baseUrl('vertex')) as VertexCredentials;
      const call = await vertexAdapter.sign(
        vertexAdapter.prepareSubmit(job).call,
        sim.baseUrl('vertex'),
        credentials,
        wire,
      );
      await new Promise((r) => setTimeout(r, 1100));
      const answer = await wire.send(call);
      expect(answer.status).toBe(401);
      expect(vertexAdapter.readSubmit(answer)).toMatchObject({ kind: 'channel_broken' });
    } finally {
      setVertexTokenLifetime(sim.world, 3600);
    }
  });

  it("addresses Vertex in the channel's region and project, and its output bucket's objects on Cloud Storage", async () => {
    const credentials = { ...vertexCredentials, location: 'europe-west4', project_id: 'my-project' };
    const submit = await vertexAdapter.sign(
      vertexAdapter.prepareSubmit(job).call,
      vertexAdapter.defaultBaseUrl,
      credentials,
      wire,
    );
    expect(submit.url).toBe(
      'https://europe-west4-aiplatform.googleapis.com/v1/projects/my-project/locations/europe-west4/publishers/google/models/veo-3.1-fast-generate-preview:predictLongRunning',
    );
    expect(JSON.parse(submit.body!).parameters.storageUri).toBe(credentials.storage_uri);
    expect(submit.headers.authorization).toMatch(/^Bearer ya29\./);
    const { storage_base_url: _storage, ...onGoogle } = credentials;
    const download = await vertexAdapter.sign(
      { method: 'GET', path: '/storage/v1/b/b/o/x%2Fy.mp4?alt=media' },
      vertexAdapter.defaultBaseUrl,
      onGoogle,
      wire,
    );
    expect(download.url).toBe('https://storage.googleapis.com/storage/v1/b/b/o/x%2Fy.mp4?alt=media');
  });

  it('fails a Vertex video returned inline (no output bucket on the channel) with the reason', async () => {
    const { storage_uri: _bucket, ...withoutBucket } = vertexCredentials;
    const d = drive(vertexAdapter, sim, wire, () => withoutBucket);
    const id = await d.accepted(job);
    d.advance(id, 1);
    expect(await d.poll(id)).toMatchObject({
      kind: 'failed',
      code: 'vendor_output_unsupported',
      message: expect.stringContaining('storage_uri'),
    });
  });
});
