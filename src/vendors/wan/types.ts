/**
 * Alibaba Wan on DashScope (Model Studio): wire shapes and the per-model table. Sources:
 * alibabacloud.com/help/en/model-studio/text-to-video-api-reference (t2v: parameters.size "W*H"),
 * …/image-to-video-api-reference (i2v: input.img_url, parameters.resolution), the first-and-last-frame reference
 * (kf2v: input.first_frame_url / last_frame_url on /aigc/image2video/), help.aliyun.com/zh/dashscope/return-status-code-description
 * (errors {request_id, code, message}).
 */
import { z } from 'zod';

export const wanResolutions = ['480P', '720P', '1080P'] as const;
export type WanResolution = (typeof wanResolutions)[number];
export const wanTiers: Record<number, WanResolution> = { 480: '480P', 720: '720P', 1080: '1080P' };
export const shortSideOf: Record<WanResolution, number> = { '480P': 480, '720P': 720, '1080P': 1080 };

/** Text-to-video sizes ("W*H") by resolution tier (the t2v API reference's size table). */
export const wanSizes: Record<WanResolution, readonly string[]> = {
  '480P': ['832*480', '480*832', '624*624'],
  '720P': ['1280*720', '720*1280', '960*960', '1088*832', '832*1088'],
  '1080P': ['1920*1080', '1080*1920', '1440*1440', '1632*1248', '1248*1632'],
};

/** What a model makes: from text (t2v), from a first frame (i2v), or between a first and a last frame (kf2v). */
export type WanKind = 't2v' | 'i2v' | 'kf2v';

export interface WanModelRule {
  kind: WanKind;
  durations: readonly number[];
  resolutions: readonly WanResolution[];
  /** Sent when the client names none (the API reference's default, sent explicitly). */
  defaultResolution: WanResolution;
  /** Output frame rate: wan2.5 renders 24 fps, wan2.2 30 fps. */
  fps: number;
  /** parameters.audio and input.audio_url (wan2.5). */
  audio: boolean;
}

export const wanModelRules: Record<string, WanModelRule> = {
  'wan2.2-t2v-plus': {
    kind: 't2v',
    durations: [5],
    resolutions: ['480P', '1080P'],
    defaultResolution: '1080P',
    fps: 30,
    audio: false,
  },
  'wan2.5-t2v-preview': {
    kind: 't2v',
    durations: [5, 10],
    resolutions: wanResolutions,
    defaultResolution: '1080P',
    fps: 24,
    audio: true,
  },
  'wan2.2-i2v-plus': {
    kind: 'i2v',
    durations: [5],
    resolutions: ['480P', '1080P'],
    defaultResolution: '1080P',
    fps: 30,
    audio: false,
  },
  'wan2.5-i2v-preview': {
    kind: 'i2v',
    durations: [5, 10],
    resolutions: wanResolutions,
    defaultResolution: '1080P',
    fps: 24,
    audio: true,
  },
  // [unverified] kf2v-flash's resolutions and default: the kf2v reference lists 480P/720P/1080P for the 2.2 flash model.
  'wan2.2-kf2v-flash': {
    kind: 'kf2v',
    durations: [5],
    resolutions: wanResolutions,
    defaultResolution: '720P',
    fps: 30,
    audio: false,
  },
};

export const wanModels = Object.keys(wanModelRules);

/** The create endpoint of each kind: first-and-last-frame models have their own. */
export const wanEndpoints: Record<WanKind, string> = {
  t2v: '/api/v1/services/aigc/video-generation/video-synthesis',
  i2v: '/api/v1/services/aigc/video-generation/video-synthesis',
  kf2v: '/api/v1/services/aigc/image2video/video-synthesis',
};

export interface WanCreateBody {
  model: string;
  input: {
    prompt: string;
    negative_prompt?: string;
    img_url?: string;
    first_frame_url?: string;
    last_frame_url?: string;
    audio_url?: string;
  };
  parameters: {
    size?: string;
    resolution?: WanResolution;
    duration: number;
    prompt_extend?: boolean;
    watermark?: boolean;
    audio?: boolean;
    seed?: number;
  };
}

/** Create answer: the task, PENDING. */
export const wanCreated = z.object({
  output: z.object({ task_id: z.string().min(1), task_status: z.string() }),
});

/** GET /api/v1/tasks/{id}. `usage` differs by model generation (video_duration on 2.2, duration and SR on 2.5). */
export const wanTask = z.object({
  output: z.object({
    task_id: z.string().optional(),
    task_status: z.string(),
    video_url: z.string().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
  }),
  usage: z
    .object({
      video_duration: z.number().optional(),
      duration: z.number().optional(),
      SR: z.number().optional(),
    })
    .passthrough()
    .optional(),
});

export const wanErrorBody = z.object({ code: z.string().min(1), message: z.string().optional() });
