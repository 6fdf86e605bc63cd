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

/** A value and the request field it came from, for a 400 that names the field the client used. */
export interface Given<T> {
  value: T;
  param: string;
}

/**
 * A value the client may give at the top level and in metadata (in the vendor's name): either is fine, both only
 * when they agree (else a 400 naming the metadata key). Null when neither was given.
 */
export function agreed<T>(top: Given<T | null>, meta: Given<T | undefined>): Given<T> | null {
  if (meta.value !== undefined && top.value !== null && top.value !== meta.value)
    throw new InvalidRequestError(
      `${meta.param} (${String(meta.value)}) contradicts ${top.param} (${String(top.value)})`,
      meta.param,
    );
  if (meta.value !== undefined) return { value: meta.value, param: meta.param };
  return top.value === null ? null : { value: top.value, param: top.param };
}

/**
 * The aspect ratio and resolution a width and height name exactly, for vendors that take the two apart (Veo, Luma):
 * one of `aspects` and the resolution whose short side it is. Null when either is none of them.
 */
export function exactSize<R extends string>(
  width: number,
  height: number,
  aspects: readonly string[],
  shortSides: Record<R, number>,
): { aspect: string; resolution: R } | null {
  const aspect = aspects.find((a) => Math.abs(ratioOf(a) - width / height) < 1e-9);
  const short = Math.min(width, height);
  const resolution = (Object.keys(shortSides) as R[]).find((r) => shortSides[r] === short);
  return aspect && resolution ? { aspect, resolution } : null;
}
