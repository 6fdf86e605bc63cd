/**
 * Jimeng's wire shapes (Volcengine visual API, CVSync2AsyncSubmitTask / CVSync2AsyncGetResult, Version 2022-08-31)
 * and its req_key catalogue, as far as Reelay reads or writes them.
 */
import { z } from 'zod';

export const jimengApiVersion = '2022-08-31';
export const jimengActions = { submit: 'CVSync2AsyncSubmitTask', poll: 'CVSync2AsyncGetResult' } as const;

/** A family is one model: its req_keys differ only in what images they take, and cost the same. */
export type JimengFamily = 's20_pro' | 'v30_720p' | 'v30_1080p' | 'v30_pro';

/** S2.0 Pro also takes 9:21; the 3.0 models take the first six. */
const s20AspectRatios = ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9', '9:21'] as const;
const v30AspectRatios = ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9'] as const;
export const jimengAspectRatios = s20AspectRatios;

export interface ReqKeySpec {
  family: JimengFamily;
  /** How many input images the req_key takes (0 = text-to-video). */
  imageCounts: readonly number[];
  /** The aspect ratios it accepts, or null when the output follows the input image and the field is not taken. */
  aspectRatios: readonly string[] | null;
  /** Whether it takes `frames`: the 3.0 models render 121 (5 s) or 241 (10 s); S2.0 Pro only 5 s. */
  takesFrames: boolean;
  /** Output short side in pixels. */
  shortSide: 720 | 1080;
}

/** Every video req_key, from the Jimeng 3.0 and S2.0 Pro docs. Note the 3.0 1080P image keys end in `_1080`, no `p`. */
export const jimengReqKeys = {
  jimeng_vgfm_t2v_l20: {
    family: 's20_pro',
    imageCounts: [0],
    aspectRatios: s20AspectRatios,
    takesFrames: false,
    shortSide: 720,
  },
  jimeng_vgfm_i2v_l20: {
    family: 's20_pro',
    imageCounts: [1],
    aspectRatios: s20AspectRatios,
    takesFrames: false,
    shortSide: 720,
  },
  jimeng_t2v_v30: {
    family: 'v30_720p',
    imageCounts: [0],
    aspectRatios: v30AspectRatios,
    takesFrames: true,
    shortSide: 720,
  },
  jimeng_i2v_first_v30: {
    family: 'v30_720p',
    imageCounts: [1],
    aspectRatios: null,
    takesFrames: true,
    shortSide: 720,
  },
  jimeng_i2v_first_tail_v30: {
    family: 'v30_720p',
    imageCounts: [2],
    aspectRatios: null,
    takesFrames: true,
    shortSide: 720,
  },
  jimeng_t2v_v30_1080p: {
    family: 'v30_1080p',
    imageCounts: [0],
    aspectRatios: v30AspectRatios,
    takesFrames: true,
    shortSide: 1080,
  },
  jimeng_i2v_first_v30_1080: {
    family: 'v30_1080p',
    imageCounts: [1],
    aspectRatios: null,
    takesFrames: true,
    shortSide: 1080,
  },
  jimeng_i2v_first_tail_v30_1080: {
    family: 'v30_1080p',
    imageCounts: [2],
    aspectRatios: null,
    takesFrames: true,
    shortSide: 1080,
  },
  jimeng_ti2v_v30_pro: {
    family: 'v30_pro',
    imageCounts: [0, 1],
    aspectRatios: v30AspectRatios,
    takesFrames: true,
    shortSide: 1080,
  },
} as const satisfies Record<string, ReqKeySpec>;

export type JimengReqKey = keyof typeof jimengReqKeys;

export function reqKeySpec(reqKey: string): ReqKeySpec | undefined {
  return Object.hasOwn(jimengReqKeys, reqKey) ? jimengReqKeys[reqKey as JimengReqKey] : undefined;
}

/** Model names that name a family rather than one req_key (as new-api's channels call them). */
export const jimengFamilyAliases: Record<string, JimengFamily> = {
  jimeng_v30: 'v30_720p',
  jimeng_v30_1080p: 'v30_1080p',
  jimeng_v30_pro: 'v30_pro',
};

export const jimengModels = [...Object.keys(jimengReqKeys), ...Object.keys(jimengFamilyAliases)];

/** 24 fps, plus the first frame: 5 s → 121, 10 s → 241. */
export const framesBySeconds: Record<number, number> = { 5: 121, 10: 241 };

/** Input images: JPEG or PNG, at most 4.7 MB each. */
export const jimengMaxImageBytes = 4.7 * 1024 * 1024;

export const jimengSubmitBody = z
  .object({
    req_key: z.string(),
    prompt: z.string().optional(),
    seed: z.number().int().min(-1).optional(),
    frames: z.number().int().optional(),
    aspect_ratio: z.string().optional(),
    image_urls: z.array(z.string()).optional(),
    binary_data_base64: z.array(z.string()).optional(),
    /** AIGC metadata (implicit watermark) as a JSON string. */
    req_json: z.string().optional(),
  })
  .strict();
export type JimengSubmitBody = z.infer<typeof jimengSubmitBody>;

export const jimengResultBody = z
  .object({ req_key: z.string(), task_id: z.string(), req_json: z.string().optional() })
  .strict();
export type JimengResultBody = z.infer<typeof jimengResultBody>;

export type JimengTaskStatus = 'in_queue' | 'generating' | 'done' | 'not_found' | 'expired';

/** The business envelope: `code` 10000 is success; `status` repeats the code. */
export interface JimengEnvelope<T> {
  code: number;
  message: string;
  request_id: string;
  status: number;
  time_elapsed: string;
  data: T | null;
}

export interface JimengSubmitData {
  task_id: string;
}

export interface JimengResultData {
  status: JimengTaskStatus;
  video_url?: string;
  resp_data?: string;
  aigc_meta_tagged?: boolean;
}

/** Volcengine's OpenAPI gateway error (signature, credentials, Action/Version): no `code`, no `data`. */
export interface VolcengineGatewayError {
  ResponseMetadata: {
    RequestId: string;
    Action: string;
    Version: string;
    Service: string;
    Region: string;
    Error: { CodeN: number; Code: string; Message: string };
  };
}
