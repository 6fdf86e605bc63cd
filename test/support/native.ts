/** What the vendor-native surfaces' tests share: following a task to its end and fetching its video. */
import { request } from 'undici';
import type { Harness } from './harness.js';

/** GETs `path` (with `authorization`) until `ended` says the answer is final; returns that answer's body. */
export async function followNative(
  h: Harness,
  path: string,
  authorization: string,
  ended: (body: any) => boolean,
  timeoutMs = 30_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await h.http('GET', path, { headers: { authorization } });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    if (ended(res.body) || Date.now() > deadline) return res.body;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Downloads a content link without any key (it is signed): status, type and size. */
export async function download(url: string): Promise<{ status: number; type: string; bytes: number }> {
  const res = await request(url);
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, type: String(res.headers['content-type']), bytes: body.length };
}
