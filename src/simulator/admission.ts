/**
 * The steps every request to a simulator takes before the vendor's own logic: it is counted, its credentials are
 * checked the vendor's way, and a scripted fault due for it is answered (generic ones here, the vendor's own words
 * by the simulator). Shared by the Veo, Vertex, Runway and Luma simulators.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerGenericFault } from './faults.js';
import type { Fault, Phase, SimWorld } from './world.js';

export interface Admission {
  vendor: string;
  /** Answers (and returns false) when the vendor would refuse the request's credentials. */
  authenticate(request: FastifyRequest, reply: FastifyReply): boolean;
  /** Answers a fault in the vendor's words and returns true; false for a fault that does not answer a request. */
  answerFault(reply: FastifyReply, fault: Fault, request: FastifyRequest): boolean;
}

/**
 * A check run before each request of `phase` (counted as `<vendor>.<phase>`; scripted faults apply to submits and
 * polls); false when it has been answered.
 */
export function admitter(world: SimWorld, { vendor, authenticate, answerFault }: Admission) {
  return async (request: FastifyRequest, reply: FastifyReply, phase: Phase | 'cancel'): Promise<boolean> => {
    world.count(vendor, phase);
    if (!authenticate(request, reply)) return false;
    const fault = phase === 'cancel' ? null : world.takeFault(vendor, phase);
    if (!fault) return true;
    return !((await answerGenericFault(request, reply, fault)) || answerFault(reply, fault, request));
  };
}

/** The scheme and host the request came to: where the simulator's own links point. */
export const requestOrigin = (request: FastifyRequest) => `${request.protocol}://${request.headers.host}`;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
