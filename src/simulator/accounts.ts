/** The accounts the simulators accept, and demo channels that use them. */
import { defaultJimengAccount } from './jimeng.js';
import { defaultKlingAccount } from './kling.js';
import { defaultOpenAIAccount } from './openai.js';
import type { RunningSimulator } from './server.js';
import { defaultViduAccount } from './vidu.js';
import { viduModels } from '../vendors/vidu/types.js';

export interface ChannelSpec {
  vendor: string;
  name: string;
  base_url: string;
  credentials: Record<string, unknown>;
  models: string[];
}

export function demoChannels(sim: RunningSimulator): ChannelSpec[] {
  return [
    {
      vendor: 'kling',
      name: 'Kling (simulator)',
      base_url: sim.baseUrl('kling'),
      credentials: { ...defaultKlingAccount },
      models: [
        'kling-v1',
        'kling-v1-6',
        'kling-v2-master',
        'kling-v2-1-master',
        'kling-v2-5-turbo',
        'kling-v2-6',
      ],
    },
    {
      vendor: 'jimeng',
      name: 'Jimeng (simulator)',
      base_url: sim.baseUrl('jimeng'),
      credentials: { ...defaultJimengAccount },
      models: [
        'jimeng_vgfm_t2v_l20',
        'jimeng_vgfm_i2v_l20',
        'jimeng_v30',
        'jimeng_v30_1080p',
        'jimeng_v30_pro',
      ],
    },
    {
      vendor: 'vidu',
      name: 'Vidu (simulator)',
      base_url: sim.baseUrl('vidu'),
      credentials: { ...defaultViduAccount },
      models: [...viduModels],
    },
    {
      vendor: 'openai',
      name: 'OpenAI (simulator)',
      base_url: `${sim.baseUrl('openai')}/v1`,
      credentials: { ...defaultOpenAIAccount },
      models: ['sora-2', 'sora-2-pro'],
    },
  ];
}
