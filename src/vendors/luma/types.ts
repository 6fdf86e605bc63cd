/**
 * Luma Dream Machine's wire shapes and model rules (lumalabs/lumaai-node v1.21 src/resources/generations/video.ts,
 * generations.ts; docs.lumalabs.ai/docs/video-generation).
 */
import { z } from 'zod';

export const lumaAspectRatios = ['1:1', '16:9', '9:16', '4:3', '3:4', '21:9', '9:21'] as const;
export const lumaResolutions = ['540p', '720p', '1080p', '4k'] as const;
export type LumaResolution = (typeof lumaResolutions)[number];
export const lumaShortSide: Record<LumaResolution, number> = {
  '540p': 540,
  '720p': 720,
  '1080p': 1080,
  '4k': 2160,
};

export interface LumaModelRule {
  durations: readonly number[];
  resolutions: readonly LumaResolution[];
}

// Ray 2 and Ray Flash 2 take the same options (docs.lumalabs.ai "Video generation": 5s or 9s, 540p to 4k).
const ray2: LumaModelRule = { durations: [5, 9], resolutions: lumaResolutions };
export const lumaModelRules: Record<string, LumaModelRule> = { 'ray-2': ray2, 'ray-flash-2': ray2 };
export const lumaModels = Object.keys(lumaModelRules);

export interface LumaKeyframe {
  type: 'image';
  url: string;
}

export interface LumaCreateBody {
  generation_type: 'video';
  model: string;
  prompt: string;
  aspect_ratio: string;
  resolution: LumaResolution;
  duration: string;
  loop?: boolean;
  keyframes?: { frame0?: LumaKeyframe; frame1?: LumaKeyframe };
  concepts?: { key: string }[];
  callback_url?: string;
}

/** The Generation object (every key optional in the SDK type); `state` stays a string to see unknown ones. */
export const lumaGeneration = z.object({
  id: z.string().optional(),
  state: z.string().optional(),
  failure_reason: z.string().nullish(),
  assets: z.object({ video: z.string().nullish(), image: z.string().nullish() }).partial().nullish(),
});

/** FastAPI-style error body ([UNVERIFIED] beyond `detail`, which may be a string or a validation list). */
export const lumaError = z.object({ detail: z.unknown() });
