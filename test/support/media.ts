/** Checks on the media files tests download from the gateway or the simulators. */
import { expect } from 'vitest';

/** Downloads a URL and expects an MP4 (content type video/mp4, an `ftyp` box at byte 4). */
export async function expectDownloadableMp4(url: string): Promise<void> {
  const video = await fetch(url);
  expect(video.status).toBe(200);
  expect(video.headers.get('content-type')).toBe('video/mp4');
  const bytes = Buffer.from(await video.arrayBuffer());
  expect(bytes.subarray(4, 8).toString('ascii')).toBe('ftyp');
}
