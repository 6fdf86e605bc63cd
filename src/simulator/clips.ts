/**
 * The MP4 a simulated task delivers, close to what was asked: the base clip of the nearest common size
 * (assets/clips/<width>x<height>.mp4, made once by scripts/make-simulator-clips.sh), stretched to exactly the
 * requested length by rewriting its timing boxes, so a user who checks the file sees the length and shape they
 * asked for. The size is the nearest of six (16:9, 9:16 and 1:1 at 720p and 1080p), not any size at all.
 */
import { readFileSync } from 'node:fs';

/** What a vendor would have generated: seconds, and pixels when the request says (null: the vendor's default). */
export interface ClipRequest {
  seconds?: number | null;
  width?: number | null;
  height?: number | null;
}

const baseSizes = [
  [1280, 720],
  [720, 1280],
  [720, 720],
  [1920, 1080],
  [1080, 1920],
  [1080, 1080],
] as const;

/** When a vendor's request names no length or size: Kling's and most vendors' 5 s, 16:9 at 720p. */
export const defaultClip = { seconds: 5, width: 1280, height: 720 } as const;

const baseClips = new Map(
  baseSizes.map(([width, height]) => [
    `${width}x${height}`,
    readFileSync(new URL(`./assets/clips/${width}x${height}.mp4`, import.meta.url)),
  ]),
);

/** The base size closest in shape first (aspect ratio), then in pixels (short side). */
function nearestSize(width: number, height: number): readonly [number, number] {
  const distance = ([w, h]: readonly [number, number]) =>
    Math.abs(Math.log(w / h) - Math.log(width / height)) * 10 +
    Math.abs(Math.log(Math.min(w, h) / Math.min(width, height)));
  return [...baseSizes].sort((a, b) => distance(a) - distance(b))[0]!;
}

const made = new Map<string, Buffer>();

/** The clip for a request; the same request gets the same bytes. */
export function simulatedClip(request: ClipRequest = {}): Buffer {
  const seconds = request.seconds && request.seconds > 0 ? request.seconds : defaultClip.seconds;
  const [width, height] =
    request.width && request.height
      ? nearestSize(request.width, request.height)
      : [defaultClip.width, defaultClip.height];
  const key = `${width}x${height}/${seconds}`;
  let clip = made.get(key);
  if (!clip) {
    clip = withLength(baseClips.get(`${width}x${height}`)!, seconds);
    made.set(key, clip);
  }
  return clip;
}

/** Box types whose children are boxes (ISO/IEC 14496-12), on the way to the timing boxes. */
const containers = new Set(['moov', 'trak', 'edts', 'mdia', 'minf', 'stbl']);

/** Calls `visit` with each box's type and where its content starts, depth first. */
function eachBox(mp4: Buffer, visit: (type: string, content: number) => void, start = 0, end = mp4.length) {
  for (let offset = start; offset + 8 <= end;) {
    const size = mp4.readUInt32BE(offset);
    const type = mp4.toString('latin1', offset + 4, offset + 8);
    if (size < 8) throw new Error(`unexpected MP4 box size ${size} (${type})`);
    visit(type, offset + 8);
    if (containers.has(type)) eachBox(mp4, visit, offset + 8, offset + size);
    offset += size;
  }
}

/**
 * A copy of a one-track clip lasting `seconds`: every frame shown for an equal share of it. The base clips are
 * version-0 boxes (32-bit times) with one stts entry and no B-frames (no ctts), which the script guarantees.
 */
function withLength(base: Buffer, seconds: number): Buffer {
  const mp4 = Buffer.from(base);
  let movieScale = 0;
  let mediaScale = 0;
  eachBox(mp4, (type, at) => {
    // Each full box starts with version (1 byte) and flags (3 bytes).
    if (mp4[at] !== 0 && ['mvhd', 'tkhd', 'mdhd', 'elst'].includes(type))
      throw new Error(`${type} version 1 is not handled`);
    switch (type) {
      case 'mvhd': // version+flags, creation, modification, timescale, duration
        movieScale = mp4.readUInt32BE(at + 12);
        mp4.writeUInt32BE(Math.round(seconds * movieScale), at + 16);
        break;
      case 'tkhd': // version+flags, creation, modification, track id, reserved, duration (movie timescale)
        mp4.writeUInt32BE(Math.round(seconds * movieScale), at + 20);
        break;
      case 'elst': // version+flags, entry count, then segment duration (movie timescale), media time, rate
        mp4.writeUInt32BE(Math.round(seconds * movieScale), at + 8);
        break;
      case 'mdhd': // version+flags, creation, modification, timescale, duration
        mediaScale = mp4.readUInt32BE(at + 12);
        mp4.writeUInt32BE(Math.round(seconds * mediaScale), at + 16);
        break;
      case 'stts': {
        // version+flags, entry count, then (sample count, sample delta)
        if (mp4.readUInt32BE(at + 4) !== 1) throw new Error('stts with more than one entry is not handled');
        const frames = mp4.readUInt32BE(at + 8);
        mp4.writeUInt32BE(Math.round((seconds * mediaScale) / frames), at + 12);
        break;
      }
      case 'ctts':
        throw new Error('a clip with B-frames (ctts) is not handled');
    }
  });
  return mp4;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A number from a vendor's field: 5, "5", "8s". */
function secondsOf(value: unknown): number | null {
  const seconds = typeof value === 'number' ? value : Number.parseFloat(String(value ?? ''));
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

/**
 * What a simulated task's request asked for, read the same way for every vendor: the fields the simulated
 * vendors use for length (duration, seconds, durationSeconds, Jimeng's frames at 24 fps) and shape (size "WxH"
 * or "W*H", a ratio such as "16:9" or Runway's "1280:720", a resolution such as "1080p" or Kling's pro mode),
 * at the top level of the task's request or in its body, parameters or input. `deliveredSeconds`: a short
 * video the world was scripted to deliver (world.ts) wins over what was asked.
 */
export function clipAsked(request: Record<string, unknown>, deliveredSeconds?: number | null): ClipRequest {
  const body = isRecord(request.body) ? request.body : {};
  const fields: Record<string, unknown> = {
    ...request,
    ...body,
    ...(isRecord(body.parameters) ? body.parameters : {}),
    ...(isRecord(body.input) ? body.input : {}),
    ...(isRecord(request.input) ? request.input : {}),
  };
  const frames = secondsOf(fields.frames);
  const seconds =
    deliveredSeconds ??
    secondsOf(fields.duration ?? fields.seconds ?? fields.durationSeconds) ??
    (frames ? Math.round(frames / 24) : null);
  const size = /^(\d+)[x*](\d+)$/.exec(String(fields.size ?? ''));
  if (size) return { seconds, width: Number(size[1]), height: Number(size[2]) };
  const ratio = /^(\d+):(\d+)$/.exec(String(fields.aspect_ratio ?? fields.aspectRatio ?? fields.ratio ?? ''));
  const resolution = /^(\d+)p$/i.exec(String(fields.resolution ?? ''));
  const shortSide = resolution ? Number(resolution[1]) : fields.mode === 'pro' ? 1080 : 720;
  const [w, h] = ratio ? [Number(ratio[1]), Number(ratio[2])] : [16, 9];
  return w >= h
    ? { seconds, width: Math.round((shortSide * w) / h), height: shortSide }
    : { seconds, width: shortSide, height: Math.round((shortSide * h) / w) };
}
