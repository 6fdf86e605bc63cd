/** Mapping steps several adapters share: metadata validation and aspect ratios. */
import { z } from 'zod';
import { InvalidRequestError } from './errors.js';

/** Validates vendor metadata against a strict schema; the first problem becomes a 400 naming `metadata.<key>`. */
export function parseMetadata<T>(schema: z.ZodType<T>, metadata: Record<string, unknown>): T {
  const result = schema.safeParse(metadata);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    throw new InvalidRequestError(
      `metadata.${key} is not a parameter this vendor accepts`,
      `metadata.${key}`,
    );
  }
  const param = ['metadata', ...issue.path.map(String)].join('.');
  throw new InvalidRequestError(`${param}: ${issue.message}`, param);
}

function ratioOf(aspect: string): number {
  const [w, h] = aspect.split(':').map(Number);
  return w! / h!;
}

/** The supported aspect ratio closest to width/height (compared on a log scale, so 2:1 and 1:2 are symmetric). */
export function nearestAspectRatio(width: number, height: number, supported: readonly string[]): string {
  const target = Math.log(width / height);
  let best = supported[0]!;
  for (const candidate of supported) {
    if (Math.abs(Math.log(ratioOf(candidate)) - target) < Math.abs(Math.log(ratioOf(best)) - target))
      best = candidate;
  }
  return best;
}

/** Width and height of a video of `shortSide` pixels (e.g. 720 for 720p) in the given aspect ratio. */
export function dimensionsFor(aspect: string, shortSide: number): { width: number; height: number } {
  const ratio = ratioOf(aspect);
  const even = (n: number) => Math.round(n / 2) * 2;
  return ratio >= 1
    ? { width: even(shortSide * ratio), height: shortSide }
    : { width: shortSide, height: even(shortSide / ratio) };
}
