/**
 * The model families that aggregators (fal, Replicate) front, and the one mapping from a unified job to a model's
 * input that both adapters use. Each aggregator lists its model ids with the family and the few names that differ
 * (the image field, how durations are written); the family holds what the model itself accepts.
 *
 * An aggregator's model inputs are open-ended: `metadata` passes through as model input under the model's own
 * names, and the vendor's own validation (fal's 422, Replicate's 422) answers for it. What Reelay maps itself
 * (prompt, duration, size, image, seed) is checked here, and what it cannot map is a 400 naming the field.
 */
import { z } from 'zod';
import type { ModelCapabilities, VendorWarning, VideoFacts, VideoJob } from './adapter.js';
import { defaultFirst } from './choices.js';
import { InvalidRequestError } from './errors.js';
import { imageAsDataUrl } from './image.js';
import { dimensionsFor, nearestAspectRatio, parseMetadata } from './mapping.js';

export type ModelFamily = 'kling' | 'veo' | 'hailuo' | 'wan' | 'seedance';

/** What a family of models accepts, whichever aggregator serves it. */
interface FamilyRules {
  title: string;
  /** Durations in seconds; one value = fixed length (sent only when `sendsDuration`). */
  durations: readonly number[];
  defaultDuration: number;
  /** Aspect ratios of the `aspect_ratio` input; null = the model has no such input. */
  aspectRatios: readonly string[] | null;
  /** Resolutions of the `resolution` input ("720p"), null = none; the first is the model's default. */
  resolutions: readonly string[] | null;
  /** Output short side in pixels when no resolution is chosen. */
  defaultShortSide: number;
  /** Whether the model takes a `seed` input. */
  seed: boolean;
}

export const modelFamilies: Record<ModelFamily, FamilyRules> = {
  kling: {
    title: 'Kling',
    durations: [5, 10],
    defaultDuration: 5,
    aspectRatios: ['16:9', '9:16', '1:1'],
    resolutions: null,
    defaultShortSide: 720,
    seed: false,
  },
  veo: {
    title: 'Veo',
    durations: [8],
    defaultDuration: 8,
    aspectRatios: ['16:9', '9:16'],
    resolutions: ['720p', '1080p'],
    defaultShortSide: 720,
    seed: true,
  },
  hailuo: {
    title: 'Hailuo',
    durations: [6, 10],
    defaultDuration: 6,
    aspectRatios: null,
    resolutions: null,
    defaultShortSide: 768,
    seed: false,
  },
  wan: {
    title: 'Wan',
    durations: [5],
    defaultDuration: 5,
    aspectRatios: ['16:9', '9:16'],
    resolutions: ['480p', '720p'],
    defaultShortSide: 480,
    seed: true,
  },
  seedance: {
    title: 'Seedance',
    durations: [5, 10],
    defaultDuration: 5,
    aspectRatios: ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9'],
    resolutions: ['1080p', '480p'],
    defaultShortSide: 1080,
    seed: true,
  },
};

/** One model id on one aggregator. */
export interface AggregatorModel {
  family: ModelFamily;
  /** The input that takes the first frame; null for text-only endpoints. */
  imageField: string | null;
  /** Image-to-video endpoints that cannot run without one. */
  imageRequired?: boolean;
  /**
   * How the model writes durations: a number (Replicate), a string ("5", fal's Kling), a string with "s" ("8s",
   * fal's Veo), or not at all (fixed-length models whose length is set in frames).
   */
  duration: 'number' | 'string' | 'seconds' | 'fixed';
  /** Overrides of the family's aspect ratios for this endpoint (fal's Veo 3 also renders 1:1). */
  aspectRatios?: readonly string[];
}

/**
 * What a model in the table takes, as mapKnown checks it; undefined for a model outside the table (its inputs are
 * the vendor's to judge). The default duration comes first.
 */
export function aggregatorCapabilities(model: AggregatorModel | undefined): ModelCapabilities | undefined {
  if (!model) return undefined;
  const family = modelFamilies[model.family];
  return {
    durations: defaultFirst(family.durations, family.defaultDuration),
    aspectRatios: model.aspectRatios ?? family.aspectRatios,
    ...(family.resolutions && { resolutions: family.resolutions }),
    images: {
      firstFrame: model.imageField !== null,
      lastFrame: false,
      references: 0,
      required: model.imageRequired ?? false,
    },
  };
}

/** Metadata is the model's own input under its own names; a key Reelay also fills must agree with it. */
const passthroughMetadata = z.record(z.string().regex(/^[A-Za-z_][\w.-]{0,63}$/), z.unknown());

export interface MappedInput {
  input: Record<string, unknown>;
  expected: VideoFacts;
  warnings: VendorWarning[];
}

/**
 * The model input for a job: the unified fields mapped through the model's family (when the model is known), then
 * metadata as is. `vendor` names the aggregator in messages.
 */
export function mapModelInput(
  job: VideoJob,
  model: AggregatorModel | undefined,
  vendor: string,
): MappedInput {
  const metadata = parseMetadata(passthroughMetadata, job.metadata);
  if (job.fps !== null)
    throw new InvalidRequestError(`${vendor} models do not let the frame rate be chosen; omit fps`, 'fps');
  const mapped = model ? mapKnown(job, model, vendor) : mapUnknown(job, vendor);
  for (const [key, value] of Object.entries(metadata)) {
    const own = mapped.input[key];
    if (own !== undefined && JSON.stringify(own) !== JSON.stringify(value)) {
      throw new InvalidRequestError(
        `metadata.${key} (${JSON.stringify(value)}) contradicts what Reelay sends for the request's own fields (${JSON.stringify(own)})`,
        `metadata.${key}`,
      );
    }
    mapped.input[key] = value;
  }
  if (typeof metadata.seed === 'number' && Number.isInteger(metadata.seed))
    mapped.expected.seed = metadata.seed;
  // A model outside the table: a duration in its own input is the one expected (prices per second need one).
  if (!model) mapped.expected.durationSeconds = secondsOf(metadata.duration);
  // The model's own size inputs given in metadata: the size is then the model's to say.
  if (metadata.aspect_ratio !== undefined || metadata.resolution !== undefined) {
    mapped.expected.width = null;
    mapped.expected.height = null;
  }
  return mapped;
}

/** A model outside the table: the prompt, and metadata under the model's own names; nothing else can be mapped. */
function mapUnknown(job: VideoJob, vendor: string): MappedInput {
  const unmappable: [string, boolean][] = [
    ['duration', job.durationSeconds !== null],
    ['size', job.width !== null || job.height !== null],
    ['image', job.image !== null],
    ['seed', job.seed !== null],
  ];
  for (const [param, given] of unmappable) {
    if (given) {
      throw new InvalidRequestError(
        `Reelay does not know the inputs of ${vendor} model ${job.upstreamModel}: send ${param} in metadata under the model's own input name`,
        param,
      );
    }
  }
  return {
    input: { prompt: job.prompt },
    expected: { durationSeconds: null, fps: null, width: null, height: null, seed: null },
    warnings: [],
  };
}

function mapKnown(job: VideoJob, model: AggregatorModel, vendor: string): MappedInput {
  const family = modelFamilies[model.family];
  const can = aggregatorCapabilities(model)!;
  const where = `${family.title} on ${vendor} (${job.upstreamModel})`;
  const input: Record<string, unknown> = { prompt: job.prompt };
  const warnings: VendorWarning[] = [];

  const durations = can.durations!;
  const duration = job.durationSeconds ?? durations[0]!;
  if (!durations.includes(duration)) {
    throw new InvalidRequestError(
      `${where} renders videos of ${family.durations.join(' or ')} seconds, not ${duration}`,
      'duration',
    );
  }
  if (model.duration === 'number') input.duration = duration;
  else if (model.duration === 'string') input.duration = String(duration);
  else if (model.duration === 'seconds') input.duration = `${duration}s`;

  if (job.image) {
    if (!model.imageField)
      throw new InvalidRequestError(`${where} is text-to-video only: it takes no image`, 'image');
    input[model.imageField] = imageAsDataUrl(job.image);
  } else if (can.images.required) {
    throw new InvalidRequestError(`${where} is image-to-video: it needs an image`, 'image');
  }

  let shortSide = family.defaultShortSide;
  let aspect: string | null = null;
  const { aspectRatios } = can;
  if (job.width !== null && job.height !== null) {
    if (job.image || !aspectRatios) {
      warnings.push({
        feature: 'size',
        details: job.image
          ? `${where} follows the input image's aspect ratio: the requested size was not sent`
          : `${where} has no size or aspect ratio input: the model chooses its own`,
      });
    } else {
      aspect = nearestAspectRatio(job.width, job.height, aspectRatios);
      input.aspect_ratio = aspect;
    }
    if (can.resolutions) {
      const resolution = nearestResolution(Math.min(job.width, job.height), can.resolutions);
      input.resolution = resolution;
      shortSide = Number.parseInt(resolution, 10);
    }
  } else if (aspectRatios && !job.image) {
    aspect = aspectRatios[0]!;
  }

  let seed: number | null = null;
  if (job.seed !== null) {
    if (family.seed) {
      input.seed = job.seed;
      seed = job.seed;
    } else {
      warnings.push({
        feature: 'seed',
        details: `${where} has no seed input: the seed was not sent and the result is not reproducible`,
      });
    }
  }

  const size = aspect ? dimensionsFor(aspect, shortSide) : null;
  return {
    input,
    expected: {
      durationSeconds: duration,
      fps: null,
      width: size?.width ?? null,
      height: size?.height ?? null,
      seed,
      shortSide,
    },
    warnings,
  };
}

/** A duration as models write it: 5, "5" or "5s"; null for anything else. */
function secondsOf(value: unknown): number | null {
  if (typeof value === 'number' && value > 0) return value;
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)s?$/.exec(value) : null;
  return match ? Number(match[1]) : null;
}

/** The resolution ("720p") whose short side is closest to the requested one. */
function nearestResolution(shortSide: number, resolutions: readonly string[]): string {
  const distance = (r: string) => Math.abs(Number.parseInt(r, 10) - shortSide);
  return resolutions.reduce((best, r) => (distance(r) < distance(best) ? r : best));
}
