/** Channels that reach the simulators with accounts they accept: the demo's, and the tests' harness's. */
import { simulators } from './registry.js';
import type { RunningSimulator } from './server.js';

export interface ChannelSpec {
  vendor: string;
  name: string;
  base_url: string;
  credentials: Record<string, unknown>;
  models: string[];
}

export function demoChannels(sim: RunningSimulator): ChannelSpec[] {
  return simulators.map((simulator) => {
    const baseUrl = sim.baseUrl(simulator.vendor);
    return {
      vendor: simulator.vendor,
      name: `${simulator.title} (simulator)`,
      base_url: baseUrl + (simulator.basePath ?? ''),
      credentials: simulator.account(baseUrl),
      models: [...(simulator.demoModels ?? simulator.models)],
    };
  });
}
