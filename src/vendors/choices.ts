/** Choices several adapters make the same way: a value given twice, and sizes read as resolution tiers. */
import { InvalidRequestError } from './errors.js';
import type { VideoJob } from './adapter.js';

/** A value and the client's field it came from (for the 400 that names it). */
export interface Given<T> {
  value: T;
  param: string;
}

/** A value the client may give at the top level and in metadata: either is fine, both only when they agree. */
export function reconcile<T>(top: Given<T | null>, meta: Given<T | undefined>): Given<T> | null {
  if (meta.value !== undefined) {
    if (top.value !== null && top.value !== meta.value) {
      throw new InvalidRequestError(
        `${meta.param} (${String(meta.value)}) contradicts ${top.param} (${String(top.value)})`,
        meta.param,
      );
    }
    return { value: meta.value, param: meta.param };
  }
  return top.value === null ? null : { value: top.value, param: top.param };
}

/**
 * The tier a requested size names, by its short side (1280x720 → the tier of 720), among `tiers` (short side →
 * the vendor's word); null when no size was asked. A size matching no tier is a 400 naming `size`.
 */
export function tierOfSize<W extends string>(
  job: Pick<VideoJob, 'width' | 'height'>,
  tiers: Readonly<Record<number, W>>,
  vendor: string,
): W | null {
  if (job.width === null || job.height === null) return null;
  const tier = tiers[Math.min(job.width, job.height)];
  if (tier !== undefined) return tier;
  const names = Object.values(tiers).join(', ');
  throw new InvalidRequestError(
    `${vendor} renders ${names} (named by the short side in pixels); ${job.width}x${job.height} is none of them`,
    'size',
  );
}

/** The aspect ratio ("16:9") a size has exactly, among `ratios`; null when no size was asked; else a 400. */
export function aspectOfSize<R extends string>(
  job: Pick<VideoJob, 'width' | 'height'>,
  ratios: readonly R[],
  vendor: string,
): R | null {
  if (job.width === null || job.height === null) return null;
  const { width, height } = job;
  const match = ratios.find((ratio) => {
    const [w, h] = ratio.split(':').map(Number) as [number, number];
    return width * h === height * w;
  });
  if (match) return match;
  throw new InvalidRequestError(
    `${vendor} renders the aspect ratios ${ratios.join(', ')}; ${width}x${height} is none of them`,
    'size',
  );
}

/** Refuses a value outside the model's list, naming the field it came from. */
export function requireOneOf<T>(given: Given<T>, allowed: readonly T[], where: string): T {
  if (allowed.includes(given.value)) return given.value;
  throw new InvalidRequestError(
    `${where} takes ${given.param} ${allowed.join(', ')}, not ${String(given.value)}`,
    given.param,
  );
}

/** The job's duration as a whole number of seconds (or null), refusing fractions. */
export function wholeSeconds(job: Pick<VideoJob, 'durationSeconds'>, vendor: string): number | null {
  if (job.durationSeconds === null) return null;
  if (Number.isInteger(job.durationSeconds)) return job.durationSeconds;
  throw new InvalidRequestError(`${vendor} renders whole seconds; give duration as an integer`, 'duration');
}

/** A model's list with its default first (as ModelCapabilities lists them); as is when the default is not in it. */
export function defaultFirst<T>(values: readonly T[], first: T): readonly T[] {
  return values.includes(first) ? [first, ...values.filter((value) => value !== first)] : values;
}
