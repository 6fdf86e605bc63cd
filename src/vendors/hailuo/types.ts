/**
 * MiniMax Hailuo video (api.minimax.io /v1/video_generation): wire shapes and the per-model table. Sources:
 * MiniMax's video generation guide (models, durations, resolutions; mirrored by its resellers' docs),
 * platform.minimax.io/docs/api-reference/video-generation-query (statuses), its File Management API (GET
 * /v1/files/retrieve); base_resp codes as MiniMax's API clients read them.
 */
import { z } from 'zod';

export const hailuoResolutions = ['512P', '720P', '768P', '1080P'] as const;
export type HailuoResolution = (typeof hailuoResolutions)[number];

/** MiniMax names resolutions by the video's short side. */
export const hailuoTiers: Record<number, HailuoResolution> = {
  512: '512P',
  720: '720P',
  768: '768P',
  1080: '1080P',
};
export const shortSideOf: Record<HailuoResolution, number> = {
  '512P': 512,
  '720P': 720,
  '768P': 768,
  '1080P': 1080,
};

export interface HailuoModelRule {
  /** Resolutions without an image (text-to-video); empty when the model needs a first frame. */
  textResolutions: readonly HailuoResolution[];
  /** Resolutions from a first frame; empty when the model takes no image. */
  imageResolutions: readonly HailuoResolution[];
  durations: readonly number[];
  /** Resolutions that render 10 seconds (the rest render 6 only). */
  tenSecondsAt: readonly HailuoResolution[];
  /** last_frame_image (first-and-last-frame mode), at these resolutions. */
  lastFrameResolutions: readonly HailuoResolution[];
  /** fast_pretreatment (the 02 and 2.3 models). */
  fastPretreatment: boolean;
}

const series01 = (text: boolean): HailuoModelRule => ({
  textResolutions: text ? ['720P'] : [],
  imageResolutions: text ? [] : ['720P'],
  durations: [6],
  tenSecondsAt: [],
  lastFrameResolutions: [],
  fastPretreatment: false,
});

/**
 * The models MiniMax documents for /v1/video_generation and what each takes. The 01 series renders 720P only, as
 * MiniMax's model pages say ("fixed at 720P"); new-api's table also lets I2V-01 and the Directors render 1080P
 * [unverified]: refused here, so a request never fails at MiniMax.
 */
export const hailuoModelRules: Record<string, HailuoModelRule> = {
  'MiniMax-Hailuo-2.3': {
    textResolutions: ['768P', '1080P'],
    imageResolutions: ['768P', '1080P'],
    durations: [6, 10],
    tenSecondsAt: ['768P'],
    lastFrameResolutions: [],
    fastPretreatment: true,
  },
  'MiniMax-Hailuo-02': {
    textResolutions: ['768P', '1080P'],
    imageResolutions: ['512P', '768P', '1080P'],
    durations: [6, 10],
    tenSecondsAt: ['512P', '768P'],
    lastFrameResolutions: ['768P', '1080P'],
    fastPretreatment: true,
  },
  'T2V-01': series01(true),
  'T2V-01-Director': series01(true),
  'I2V-01': series01(false),
  'I2V-01-Director': series01(false),
};

export const hailuoModels = Object.keys(hailuoModelRules);

export interface HailuoCreateBody {
  model: string;
  prompt: string;
  duration: number;
  resolution: HailuoResolution;
  first_frame_image?: string;
  last_frame_image?: string;
  prompt_optimizer?: boolean;
  fast_pretreatment?: boolean;
  aigc_watermark?: boolean;
  callback_url?: string;
}

/** Every MiniMax answer carries base_resp; status_code 0 is success, anything else says what went wrong. */
export const baseResp = z.object({ status_code: z.number(), status_msg: z.string().optional() });

export const hailuoCreated = z.object({ task_id: z.string().min(1), base_resp: baseResp });

/** The query answer (file_id a string here, a number in the file retrieve answer). */
export const hailuoQuery = z.object({
  task_id: z.string().optional(),
  status: z.string(),
  file_id: z.union([z.string(), z.number()]).optional(),
  video_width: z.number().optional(),
  video_height: z.number().optional(),
  base_resp: baseResp.optional(),
});

export const hailuoFile = z.object({
  file: z.object({ download_url: z.string().min(1) }).passthrough(),
  base_resp: baseResp.optional(),
});
