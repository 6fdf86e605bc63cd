/**
 * Seedance on Volcengine Ark (ark.cn-beijing.volces.com /api/v3/contents/generations/tasks): wire shapes and the
 * per-model table. Sources: volcengine.com/docs/82379/1520758 (create), /1521309 (query), /1299023 (error codes).
 */
import { z } from 'zod';

export const seedanceResolutions = ['480p', '720p', '1080p'] as const;
export type SeedanceResolution = (typeof seedanceResolutions)[number];

/** Ark names resolutions by the video's short side. */
export const seedanceTiers: Record<number, SeedanceResolution> = { 480: '480p', 720: '720p', 1080: '1080p' };

/** `adaptive` (follow the image) is for image-to-video only. */
export const seedanceRatios = ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9'] as const;
export type SeedanceRatio = (typeof seedanceRatios)[number] | 'adaptive';

/** What an image does in `content[]`: Ark's `role`. */
export type SeedanceImageRole = 'first_frame' | 'last_frame' | 'reference_image';

export interface SeedanceModelRule {
  textToVideo: boolean;
  /** The image roles the model takes (first_frame alone, first+last, or 1–4 reference images). */
  roles: readonly SeedanceImageRole[];
  durations: readonly number[];
  resolutions: readonly SeedanceResolution[];
  /** generate_audio (Seedance 1.5 pro only). */
  audio: boolean;
}

const seconds = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const allResolutions = seedanceResolutions;

/** Ark's model list (docs/82379/1366799 "模型能力"): which inputs, durations and resolutions each model takes.
 * [unverified] the 1.0 lite and pro-fast durations (2–12 s, as 1.0 pro) and lite at 1080p: not in the notes read.
 */
export const seedanceModelRules: Record<string, SeedanceModelRule> = {
  'doubao-seedance-1-5-pro-251215': {
    textToVideo: true,
    roles: ['first_frame', 'last_frame'],
    durations: seconds(4, 12),
    resolutions: allResolutions,
    audio: true,
  },
  'doubao-seedance-1-0-pro-250528': {
    textToVideo: true,
    roles: ['first_frame', 'last_frame'],
    durations: seconds(2, 12),
    resolutions: allResolutions,
    audio: false,
  },
  'doubao-seedance-1-0-pro-fast-251015': {
    textToVideo: true,
    roles: ['first_frame'],
    durations: seconds(2, 12),
    resolutions: allResolutions,
    audio: false,
  },
  'doubao-seedance-1-0-lite-t2v-250428': {
    textToVideo: true,
    roles: [],
    durations: seconds(2, 12),
    resolutions: allResolutions,
    audio: false,
  },
  'doubao-seedance-1-0-lite-i2v-250428': {
    textToVideo: false,
    roles: ['first_frame', 'last_frame', 'reference_image'],
    durations: seconds(2, 12),
    resolutions: allResolutions,
    audio: false,
  },
};

export const seedanceModels = Object.keys(seedanceModelRules);

export type SeedanceContent =
  { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string }; role: SeedanceImageRole };

/** The create body Reelay sends (the fields it uses of Ark's create API). */
export interface SeedanceCreateBody {
  model: string;
  content: SeedanceContent[];
  resolution: SeedanceResolution;
  ratio: SeedanceRatio;
  duration: number;
  seed?: number;
  camera_fixed?: boolean;
  watermark?: boolean;
  generate_audio?: boolean;
  return_last_frame?: boolean;
  service_tier?: 'default' | 'flex';
  execution_expires_after?: number;
  callback_url?: string;
}

/** GET /api/v3/contents/generations/tasks/{id} (and the callback body). Loose: Ark adds fields over time. */
export const seedanceTask = z.object({
  id: z.string(),
  status: z.string(),
  content: z.object({ video_url: z.string().optional(), last_frame_url: z.string().optional() }).nullish(),
  error: z.object({ code: z.string(), message: z.string() }).nullish(),
  seed: z.number().nullish(),
  resolution: z.string().nullish(),
  ratio: z.string().nullish(),
  duration: z.number().nullish(),
  framespersecond: z.number().nullish(),
});
export type SeedanceTask = z.infer<typeof seedanceTask>;

export const seedanceCreated = z.object({ id: z.string().min(1) });

/** Ark's error body: `{error: {code, message, param?, type?}}`, code a string. */
export const seedanceErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }).passthrough(),
});
