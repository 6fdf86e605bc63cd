/** Requests and inputs the Vidu tests share. */
import type { Channel } from '../../src/channels/directory.js';
import { jobFor } from '../../src/engine/job-submit.js';
import { parseGenerationsRequest } from '../../src/http/generations/request.js';
import { viduAdapter } from '../../src/vendors/vidu/adapter.js';
import type { ViduCreateBody } from '../../src/vendors/vidu/types.js';
import { originViduExample } from './origin-examples.js';

export const first = 'https://example.com/first.png';
export const last = 'https://example.com/last.png';
/** A 1x1 PNG and a 1x1 GIF, as raw base64. */
export const pngBase64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
export const gifBase64 = 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

/** The origin document's Vidu example, exactly as published. */
export { originViduExample };

/** What Vidu must receive for the origin document's example: zeros and falses as sent, a Vidu resolution, no callback_url. */
export const seedViduWireBody = {
  model: 'viduq1',
  prompt: originViduExample.prompt,
  images: [originViduExample.image],
  duration: 5,
  seed: 0,
  resolution: '1080p',
  movement_amplitude: 'auto',
  bgm: false,
  payload: '',
};

const channel: Channel = {
  id: 'chn_test',
  vendor: 'vidu',
  name: 'vidu',
  baseUrl: 'https://api.vidu.cn',
  credentials: { api_key: 'k' },
  models: [],
  modelMapping: {},
  priority: 0,
  weight: 1,
  enabled: true,
  maxConcurrency: null,
  maxRps: null,
};

/** What Reelay prepares for Vidu from this seed request (defaults: viduq1, a short prompt). */
export function prepareVidu(request: Record<string, unknown>) {
  const parsed = parseGenerationsRequest({ model: 'viduq1', prompt: 'a cat on the moon', ...request });
  const prepared = viduAdapter.prepareSubmit(jobFor(parsed, 'job_test', channel));
  return { ...prepared, path: prepared.call.path, body: prepared.call.body as ViduCreateBody };
}
