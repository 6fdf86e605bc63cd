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

/** What an MP4 says of itself: length from the movie header (mvhd), picture size from the first track's (tkhd). */
export function mp4Facts(mp4: Buffer): { seconds: number; width: number; height: number } {
  const containers = new Set(['moov', 'trak']);
  let seconds = NaN;
  let size: [number, number] | null = null;
  const walk = (start: number, end: number) => {
    for (let at = start; at + 8 <= end;) {
      const length = mp4.readUInt32BE(at);
      const type = mp4.toString('latin1', at + 4, at + 8);
      const content = at + 8;
      const version = mp4[content];
      if (type === 'mvhd') {
        // version 0: 32-bit creation/modification times; version 1: 64-bit
        const timescale = mp4.readUInt32BE(content + (version === 1 ? 20 : 12));
        const duration =
          version === 1 ? Number(mp4.readBigUInt64BE(content + 24)) : mp4.readUInt32BE(content + 16);
        seconds = duration / timescale;
      }
      if (type === 'tkhd' && !size) {
        // width and height are 16.16 fixed point, the box's last 8 bytes
        const end = at + length;
        size = [mp4.readUInt32BE(end - 8) / 65536, mp4.readUInt32BE(end - 4) / 65536];
      }
      if (containers.has(type)) walk(content, at + length);
      at += length;
    }
  };
  walk(0, mp4.length);
  if (!size) throw new Error('no track header in the MP4');
  return { seconds, width: size[0], height: size[1] };
}

/** The video's file says what Reelay reported of it: its length in seconds and its shape (landscape, portrait, square). */
export function expectVideoAsReported(
  mp4: Buffer,
  reported: { seconds: string | null; size: string | null },
): void {
  expect(mp4.subarray(4, 8).toString('ascii')).toBe('ftyp');
  const facts = mp4Facts(mp4);
  if (reported.seconds !== null) expect(facts.seconds).toBeCloseTo(Number(reported.seconds), 2);
  if (reported.size !== null) {
    const [width, height] = reported.size.split('x').map(Number) as [number, number];
    expect(Math.sign(facts.width - facts.height)).toBe(Math.sign(width - height));
  }
}
