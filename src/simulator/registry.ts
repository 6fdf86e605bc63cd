/** Every vendor simulator, served under `/<vendor>` (see vendor-simulator.ts). Adding one = one file + one line. */
import { fal } from './fal.js';
import { jimeng } from './jimeng.js';
import { kling } from './kling.js';
import { openai } from './openai.js';
import { replicate } from './replicate.js';
import type { VendorSimulator } from './vendor-simulator.js';
import { vidu } from './vidu.js';
import { seedance } from './seedance.js';
import { hailuo } from './hailuo.js';
import { wan } from './wan.js';
import { veo } from './veo.js';
import { vertex } from './vertex.js';
import { runway } from './runway.js';
import { luma } from './luma.js';

export const simulators: readonly VendorSimulator[] = [
  kling,
  jimeng,
  vidu,
  openai,
  seedance,
  hailuo,
  wan,
  veo,
  vertex,
  runway,
  luma,
  fal,
  replicate,
];
