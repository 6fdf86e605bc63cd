/** OpenAI's Videos API wire shapes (api.openai.com/v1/videos), as far as Reelay reads or writes them. */
import { z } from 'zod';

export const openaiVideoModels = [
  'sora-2',
  'sora-2-pro',
  'sora-2-2025-10-06',
  'sora-2-pro-2025-10-06',
  'sora-2-2025-12-08',
] as const;
/** Clip lengths OpenAI's SDK types list; sent as strings. */
export const openaiSeconds = ['4', '8', '12'] as const;
export const openaiSizes = ['720x1280', '1280x720', '1024x1792', '1792x1024'] as const;
/** What OpenAI renders when seconds and size are not given. */
export const openaiDefaults = { seconds: '4', size: '720x1280' } as const;

export type OpenAIVideoStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

/** POST /videos as JSON (OpenAI also takes it as multipart; input_reference then may be a file). */
export const openaiCreateBody = z
  .object({
    prompt: z.string().min(1).max(32_000),
    model: z.string().min(1).optional(),
    seconds: z.string().optional(),
    size: z.string().optional(),
    input_reference: z
      .object({ image_url: z.string().min(1).optional(), file_id: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict();
export type OpenAICreateBody = z.infer<typeof openaiCreateBody>;

export const openaiRemixBody = z.object({ prompt: z.string().min(1).max(32_000) }).strict();

/** The Video object: every key is always present, nullable ones as null. */
export interface OpenAIVideo {
  id: string;
  object: 'video';
  model: string;
  status: OpenAIVideoStatus;
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  prompt: string | null;
  size: string;
  seconds: string;
  remixed_from_video_id: string | null;
  error: { code: string; message: string } | null;
}

/** How Reelay reads a Video: liberal in what it does not need (another OpenAI-compatible upstream may differ). */
export const openaiVideoAnswer = z.object({
  id: z.string().min(1),
  status: z.enum(['queued', 'in_progress', 'completed', 'failed']),
  progress: z.number().nullish(),
  seconds: z.string().nullish(),
  size: z.string().nullish(),
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

/** OpenAI's error body. */
export const openaiErrorAnswer = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().nullish(),
    param: z.string().nullish(),
    code: z.string().nullish(),
  }),
});
