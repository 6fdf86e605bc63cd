/**
 * Adapters and simulators each state their vendor's models from the vendor's docs (neither imports the other's):
 * the two lists must name the same models, or one of them has misread the docs.
 */
import { describe, expect, it } from 'vitest';
import { simulators } from '../simulator/registry.js';
import { adapterFor } from './registry.js';

describe('every simulator and its adapter', () => {
  it.each(simulators.map((simulator) => [simulator.vendor, simulator] as const))(
    '%s: the simulator serves exactly the models the adapter offers',
    (vendor, simulator) => {
      const adapter = adapterFor(vendor);
      expect(adapter, `no adapter for the simulated vendor ${vendor}`).toBeDefined();
      if (simulator.openCatalog)
        expect(simulator.models).toEqual(expect.arrayContaining([...adapter!.models]));
      else expect(new Set(simulator.models)).toEqual(new Set(adapter!.models));
    },
  );

  it('demo channels offer only models the simulator serves', () => {
    for (const simulator of simulators) {
      for (const model of simulator.demoModels ?? []) expect(simulator.models).toContain(model);
    }
  });
});
