/**
 * What every vendor simulator provides. A simulator is the test oracle for its vendor's adapter: it is written
 * again from the vendor's documentation and imports nothing from src/vendors (a lint rule holds it), so that an
 * adapter that misreads the docs is caught here instead of copied. Each wire rule cites its source.
 *
 * Adding one: `src/simulator/<vendor>.ts` exporting a VendorSimulator, and one line in `./registry.ts`; the server,
 * `npm run simulate`, the demo's channels and the tests' harness then have it.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { SimWorld } from './world.js';

export interface VendorSimulator {
  /** The vendor's registry name (as on channels); the simulator is served under `/<vendor>`. */
  vendor: string;
  /** For people: "Kling". */
  title: string;
  /** The vendor's API as routes, registered under the vendor's prefix. */
  routes(world: SimWorld): FastifyPluginAsync;
  /** What follows the prefix in a channel's base URL ("" for most; OpenAI's "/v1"). */
  basePath?: string;
  /**
   * The credentials the simulator accepts, as a channel stores them. Given the simulator's own base URL, for
   * accounts that name an endpoint of it (Vertex's service account `token_uri`).
   */
  account(baseUrl: string): Record<string, unknown>;
  /** The models the vendor serves, stated from its documentation (a test compares them with the adapter's). */
  models: readonly string[];
  /**
   * The vendor serves models beyond any list (an aggregator: fal, Replicate), so `models` holds some the adapter
   * has no mapping for; the adapter's must all be among them.
   */
  openCatalog?: boolean;
  /** The models the demo's channel offers, when not all of them. */
  demoModels?: readonly string[];
}
