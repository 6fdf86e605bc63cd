/** What the MiniMax simulator does that the adapter never asks of it: the callback URL's verification. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHailuoAccount } from './hailuo.js';
import { startSimulator, type RunningSimulator } from './server.js';

/** A callback receiver that records each body and answers the challenge (echoed, or not). */
async function receiver(
  echo: boolean,
): Promise<{ url: string; bodies: Record<string, unknown>[]; server: Server }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      bodies.push(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(echo && 'challenge' in body ? { challenge: body.challenge } : { ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`, bodies, server };
}

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
};

describe('the MiniMax simulator', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 200 });
  });
  afterAll(() => sim.close());

  const create = (callbackUrl: string) =>
    fetch(`${sim.baseUrl('hailuo')}/v1/video_generation`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${defaultHailuoAccount.api_key}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'T2V-01', prompt: 'a cat', callback_url: callbackUrl }),
    });

  it('verifies a callback URL with a challenge, then reports processing and success with the file id', async () => {
    const cb = await receiver(true);
    try {
      await create(cb.url);
      await until(() => cb.bodies.length >= 3);
      const [handshake, ...updates] = cb.bodies;
      expect(Object.keys(handshake!)).toEqual(['challenge']);
      expect(updates.map((u) => u.status)).toEqual(['processing', 'success']);
      expect(updates[1]).toMatchObject({
        file_id: expect.stringMatching(/^\d{15}$/),
        base_resp: { status_code: 0 },
      });
    } finally {
      cb.server.close();
    }
  });

  it('sends nothing more to a callback URL that does not echo the challenge', async () => {
    const cb = await receiver(false);
    try {
      await create(cb.url);
      await until(() => cb.bodies.length >= 1);
      await new Promise((r) => setTimeout(r, 400)); // the task has ended by now
      expect(cb.bodies).toHaveLength(1);
    } finally {
      cb.server.close();
    }
  });

  it('gives the file id as a string in the query and as a number in the file retrieve answer', async () => {
    const headers = { authorization: `Bearer ${defaultHailuoAccount.api_key}` };
    const { task_id: taskId } = (await (await create('http://127.0.0.1:9/unreachable')).json()) as {
      task_id: string;
    };
    await new Promise((r) => setTimeout(r, 250));
    const query = (await (
      await fetch(`${sim.baseUrl('hailuo')}/v1/query/video_generation?task_id=${taskId}`, { headers })
    ).json()) as { status: string; file_id: string };
    expect(query).toMatchObject({ status: 'Success', file_id: expect.any(String) });
    const retrieved = (await (
      await fetch(`${sim.baseUrl('hailuo')}/v1/files/retrieve?file_id=${query.file_id}`, { headers })
    ).json()) as { file: { file_id: number; download_url: string } };
    expect(retrieved.file.file_id).toBe(Number(query.file_id));
    expect((await fetch(retrieved.file.download_url)).headers.get('content-type')).toBe('video/mp4');
  });

  it('answers every business error with HTTP 200 and a status code', async () => {
    const res = await fetch(`${sim.baseUrl('hailuo')}/v1/video_generation`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'T2V-01', prompt: 'a cat' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ base_resp: { status_code: 1004 } });
  });
});
