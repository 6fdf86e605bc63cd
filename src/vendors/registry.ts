/** Every vendor Reelay speaks, by the name stored on channels. Adding a vendor = one folder + one line here. */
import type { VendorAdapter } from './adapter.js';
import { jimengAdapter } from './jimeng/adapter.js';
import { klingAdapter } from './kling/adapter.js';
import { viduAdapter } from './vidu/adapter.js';
import { openaiAdapter } from './openai/adapter.js';
import { falAdapter } from './fal/adapter.js';
import { replicateAdapter } from './replicate/adapter.js';
import { seedanceAdapter } from './seedance/adapter.js';
import { hailuoAdapter } from './hailuo/adapter.js';
import { wanAdapter } from './wan/adapter.js';
import { veoAdapter } from './veo/adapter.js';
import { vertexAdapter } from './vertex/adapter.js';
import { runwayAdapter } from './runway/adapter.js';
import { lumaAdapter } from './luma/adapter.js';

// Credentials are checked against each adapter's own schema before they reach it, so erasing the type is safe.
const erase = <C>(adapter: VendorAdapter<C>) => adapter as unknown as VendorAdapter<unknown>;

const adapters = new Map<string, VendorAdapter<unknown>>([
  ['kling', erase(klingAdapter)],
  ['jimeng', erase(jimengAdapter)],
  ['vidu', erase(viduAdapter)],
  ['openai', erase(openaiAdapter)],
  ['fal', erase(falAdapter)],
  ['replicate', erase(replicateAdapter)],
  ['seedance', erase(seedanceAdapter)],
  ['hailuo', erase(hailuoAdapter)],
  ['wan', erase(wanAdapter)],
  ['veo', erase(veoAdapter)],
  ['vertex', erase(vertexAdapter)],
  ['runway', erase(runwayAdapter)],
  ['luma', erase(lumaAdapter)],
]);

export const vendorNames = [...adapters.keys()];

export function adapterFor(vendor: string): VendorAdapter<unknown> | undefined {
  return adapters.get(vendor);
}
