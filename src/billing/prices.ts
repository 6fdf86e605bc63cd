/**
 * What a generation costs: a model's price (per call or per second of video) times a resolution tier
 * multiplier and a mode multiplier. Integer micro-units throughout; estimated at submit from what is
 * expected, settled at the end on what the vendor delivered, never above the estimate the client was held to.
 */
import { z } from 'zod';
import type { VideoFacts } from '../vendors/adapter.js';

export const resolutionTiers = ['360p', '540p', '720p', '1080p', '4k'] as const;
export type ResolutionTier = (typeof resolutionTiers)[number];

export const priceSchema = z
  .object({
    unit: z.enum(['call', 'second']),
    /** Micro-units per call or per second of video. */
    price: z.number().int().min(0).max(1e12),
    resolution_multipliers: z
      .partialRecord(z.enum(resolutionTiers), z.number().positive().max(1000))
      .default({}),
    /** By `metadata.mode`, e.g. {"pro": 3.5} for Kling's pro mode. */
    mode_multipliers: z.record(z.string().min(1).max(50), z.number().positive().max(1000)).default({}),
    /** The operator's explicit choice to serve the model without charge. */
    free: z.boolean().default(false),
  })
  .strict();

export type Price = z.infer<typeof priceSchema>;

/** The tier of a video by its short side; null when its size is unknown. */
export function tierOf(facts: Pick<VideoFacts, 'width' | 'height' | 'shortSide'>): ResolutionTier | null {
  const shortSide =
    facts.width !== null && facts.height !== null
      ? Math.min(facts.width, facts.height)
      : (facts.shortSide ?? null);
  if (shortSide === null) return null;
  if (shortSide <= 360) return '360p';
  if (shortSide <= 540) return '540p';
  if (shortSide <= 720) return '720p';
  if (shortSide <= 1080) return '1080p';
  return '4k';
}

function tierMultiplier(price: Price, facts: VideoFacts): number {
  const table = Object.values(price.resolution_multipliers);
  if (table.length === 0) return 1;
  const tier = tierOf(facts);
  // Unknown size: hold the dearest tier rather than risk under-charging.
  if (tier === null) return Math.max(...table);
  return price.resolution_multipliers[tier] ?? 1;
}

/** Cost of one generation with these facts; null when a per-second price meets an unknown duration. */
export function generationCost(price: Price, facts: VideoFacts, mode: string | null): number | null {
  if (price.free) return 0;
  let base = price.price;
  if (price.unit === 'second') {
    if (facts.durationSeconds === null) return null;
    base *= facts.durationSeconds;
  }
  const modeMultiplier = mode ? (price.mode_multipliers[mode] ?? 1) : 1;
  return Math.round(base * tierMultiplier(price, facts) * modeMultiplier);
}

/** Settlement of one finished generation: its cost on the delivered facts, capped at what was reserved. */
export function settledCost(
  price: Price,
  delivered: VideoFacts,
  mode: string | null,
  estimate: number,
): number {
  const actual = generationCost(price, delivered, mode);
  return actual === null ? estimate : Math.min(actual, estimate);
}
