/** Driving Reelay (or the OpenAI simulator) with the official openai SDK, unmodified. */
import OpenAI from 'openai';

/** A client for an OpenAI-shaped API; no SDK retries, so every answer a test sees is the first. */
export function openaiClient(baseURL: string, apiKey: string): OpenAI {
  return new OpenAI({ baseURL, apiKey, maxRetries: 0 });
}

/** Retrieves a video until it leaves queued / in_progress (or the deadline passes). */
export async function waitForVideo(
  client: OpenAI,
  id: string,
  timeoutMs = 15_000,
): Promise<OpenAI.Videos.Video> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const video = await client.videos.retrieve(id);
    if (video.status === 'completed' || video.status === 'failed' || Date.now() > deadline) return video;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The bytes of a downloaded body. */
export async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}
