/**
 * Runway's wire shapes and per-model rules (runwayml/sdk-node v4.12 src/resources/image-to-video.ts,
 * text-to-video.ts, tasks.ts; docs.dev.runwayml.com/api).
 */
import { z } from 'zod';

const gen4Ratios = ['1280:720', '720:1280', '1104:832', '832:1104', '960:960', '1584:672'] as const;
const veoRatios = ['1280:720', '720:1280', '1080:1920', '1920:1080'] as const;
const seconds = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** What one model takes on each endpoint; a missing endpoint means the model does not serve it. */
export interface RunwayModelRule {
  /** Ratios by endpoint: image_to_video follows the image, text_to_video draws it. */
  ratios: { image_to_video: readonly string[]; text_to_video?: readonly string[] };
  durations: readonly number[];
  defaultDuration: number;
  /** veo3's image_to_video has no duration field (it renders 8 seconds); the others take one. */
  durationOnImage: boolean;
  /** veo3.1 takes a last frame as a second promptImage with position "last". */
  lastFrame: boolean;
  seed: boolean;
  /** Veo models: `audio` and `negativePrompt`. */
  veoOptions: boolean;
}

export const runwayModelRules: Record<string, RunwayModelRule> = {
  gen4_turbo: {
    ratios: { image_to_video: gen4Ratios },
    durations: seconds(2, 10),
    defaultDuration: 5,
    durationOnImage: true,
    lastFrame: false,
    seed: true,
    veoOptions: false,
  },
  'gen4.5': {
    ratios: { image_to_video: gen4Ratios, text_to_video: ['1280:720', '720:1280'] },
    durations: seconds(2, 10),
    defaultDuration: 5,
    durationOnImage: true,
    lastFrame: false,
    seed: true,
    veoOptions: false,
  },
  veo3: {
    ratios: { image_to_video: veoRatios, text_to_video: veoRatios },
    durations: [8],
    defaultDuration: 8,
    durationOnImage: false,
    lastFrame: false,
    seed: false,
    veoOptions: true,
  },
  'veo3.1': {
    ratios: { image_to_video: veoRatios, text_to_video: veoRatios },
    durations: [4, 6, 8],
    defaultDuration: 8,
    durationOnImage: true,
    lastFrame: true,
    seed: false,
    veoOptions: true,
  },
  'veo3.1_fast': {
    ratios: { image_to_video: veoRatios, text_to_video: veoRatios },
    durations: [4, 6, 8],
    defaultDuration: 8,
    durationOnImage: true,
    lastFrame: true,
    seed: false,
    veoOptions: true,
  },
};
export const runwayModels = Object.keys(runwayModelRules);

export type RunwayEndpoint = 'image_to_video' | 'text_to_video';

/** A prompt image: a URL or data URI, or a list of frames with their positions. */
export type RunwayPromptImage = string | { uri: string; position: 'first' | 'last' }[];

export interface RunwayCreateBody {
  model: string;
  promptText?: string;
  promptImage?: RunwayPromptImage;
  ratio: string;
  duration?: number;
  seed?: number;
  audio?: boolean;
  negativePrompt?: string;
  contentModeration?: { publicFigureThreshold: 'auto' | 'low' };
}

/** POST /v1/{endpoint} answers only the task id. */
export const runwayCreateAnswer = z.object({ id: z.string().min(1) });

/** GET /v1/tasks/{id}. `status` stays a string: an unknown one must be seen, not parsed away. */
export const runwayTask = z.object({
  id: z.string(),
  status: z.string(),
  progress: z.number().optional(),
  output: z.array(z.string()).optional(),
  failure: z.string().optional(),
  failureCode: z.string().optional(),
});

/** Runway's error body: `{error, issues?}` for validation ([UNVERIFIED] the exact shape beyond `error`). */
export const runwayError = z.object({ error: z.string() }).passthrough();
