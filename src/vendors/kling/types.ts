/** Kling's wire shapes (api.klingai.com /v1/videos/*), as far as Reelay reads or writes them. */
import { z } from 'zod';

export const klingModels = [
  'kling-v1',
  'kling-v1-5',
  'kling-v1-6',
  'kling-v2-master',
  'kling-v2-1',
  'kling-v2-1-master',
  'kling-v2-5-turbo',
  'kling-v2-6',
] as const;

/** Models Kling offers on image2video only (Kling API docs, model_name of each endpoint): a text prompt alone is refused. */
export const klingImageOnlyModels: readonly string[] = ['kling-v1-5', 'kling-v2-1'];

export const klingAspectRatios = ['16:9', '9:16', '1:1'] as const;
export const klingDurations = [5, 10] as const;
export type KlingEndpoint = 'text2video' | 'image2video';

const cameraConfig = z
  .object({
    horizontal: z.number().int().min(-10).max(10).optional(),
    vertical: z.number().int().min(-10).max(10).optional(),
    pan: z.number().int().min(-10).max(10).optional(),
    tilt: z.number().int().min(-10).max(10).optional(),
    roll: z.number().int().min(-10).max(10).optional(),
    zoom: z.number().int().min(-10).max(10).optional(),
  })
  .strict();

export const klingCameraControl = z
  .object({
    type: z.enum(['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward']),
    config: cameraConfig.optional(),
  })
  .strict()
  .refine((c) => (c.type === 'simple') === (c.config !== undefined), {
    message: 'config is required for type "simple" and must be omitted for the other types',
  })
  .refine(
    (c) => !c.config || Object.values(c.config).filter((v) => v !== 0 && v !== undefined).length === 1,
    {
      message: 'exactly one of horizontal, vertical, pan, tilt, roll, zoom must be non-zero',
    },
  );

/** Both create endpoints take the same body; aspect_ratio only on text2video, images only on image2video. */
export const klingCreateBody = z
  .object({
    model_name: z.string().optional(),
    model: z.string().optional(),
    prompt: z.string().max(2500).optional(),
    negative_prompt: z.string().max(2500).optional(),
    cfg_scale: z.number().min(0).max(1).optional(),
    mode: z.enum(['std', 'pro']).optional(),
    camera_control: klingCameraControl.optional(),
    aspect_ratio: z.enum(klingAspectRatios).optional(),
    duration: z.enum(['5', '10']).optional(),
    sound: z.enum(['on', 'off']).optional(),
    watermark_info: z.object({ enabled: z.boolean() }).strict().optional(),
    callback_url: z.string().url().optional(),
    external_task_id: z.string().max(256).optional(),
    image: z.string().optional(),
    image_tail: z.string().optional(),
    static_mask: z.string().optional(),
    dynamic_masks: z
      .array(
        z.object({
          mask: z.string(),
          trajectories: z
            .array(z.object({ x: z.number().int(), y: z.number().int() }))
            .min(2)
            .max(77),
        }),
      )
      .max(6)
      .optional(),
  })
  .strict();
export type KlingCreateBody = z.infer<typeof klingCreateBody>;

export type KlingTaskStatus = 'submitted' | 'processing' | 'succeed' | 'failed';

export interface KlingTaskData {
  task_id: string;
  task_status: KlingTaskStatus;
  task_status_msg?: string;
  task_info?: { external_task_id?: string };
  task_result?: { videos?: { id: string; url: string; duration: string }[] };
  created_at: number;
  updated_at: number;
}

export interface KlingEnvelope<T> {
  code: number;
  message: string;
  request_id: string;
  data?: T;
}
