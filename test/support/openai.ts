/** Driving Reelay (or the OpenAI simulator) with the official openai SDK, unmodified. */
import OpenAI from 'openai';
import type { Harness } from './harness.js';

/** A client for an OpenAI-shaped API; no SDK retries, so every answer a test sees is the first. */
export function openaiClient(baseURL: string, apiKey: string): OpenAI {
  return new OpenAI({ baseURL, apiKey, maxRetries: 0 });
}

/**
 * Retrieves a video until it leaves queued / in_progress (or the deadline passes). Given the Reelay it runs on,
 * also waits for the result's copy into storage, which follows a success, and answers the video as it is then.
 */
export async function waitForVideo(
  client: OpenAI,
  id: string,
  reelay?: Harness,
  timeoutMs = 15_000,
): Promise<OpenAI.Videos.Video> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const video = await client.videos.retrieve(id);
    if (video.status === 'completed' || video.status === 'failed' || Date.now() > deadline) {
      if (!reelay) return video;
      await reelay.waitForCopies(id, deadline);
      return client.videos.retrieve(id);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The bytes of a downloaded body. */
export async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}
