/**
 * What every simulator does before a request reaches its vendor logic: count it, check the credentials the
 * vendor's way, and play a scripted fault if one is due, each answered in the vendor's own words.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerGenericFault } from './faults.js';
import type { Fault, Phase, SimWorld } from './world.js';
import { clipAsked } from './clips.js';

export interface VendorGate {
  vendor: string;
  /** Answers a request whose credentials the vendor refuses, in its words; true when it did. */
  refuseCredentials(request: FastifyRequest, reply: FastifyReply): boolean;
  /** Answers a scripted fault in the vendor's words; false for a fault it has no answer of its own for. */
  answerFault(reply: FastifyReply, fault: Fault): boolean;
}

/** True when the request has been answered (credentials refused, or a fault played) and must go no further. */
export async function turnedAway(
  world: SimWorld,
  gate: VendorGate,
  phase: Phase,
  request: FastifyRequest,
  reply: FastifyReply,
  /** What the request is counted as, when not its phase ("cancel" takes the poll phase's faults). */
  counted: string = phase,
): Promise<boolean> {
  world.count(gate.vendor, counted);
  if (gate.refuseCredentials(request, reply)) return true;
  const fault = world.takeFault(gate.vendor, phase);
  if (!fault) return false;
  return (await answerGenericFault(request, reply, fault)) || gate.answerFault(reply, fault);
}

/** The key of an `Authorization: Bearer <key>` header, or null. */
export const bearerKey = (request: FastifyRequest): string | null =>
  /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? null;

/** The simulator's own origin as the client reached it, for the URLs it hands out. */
export const originOf = (request: FastifyRequest): string => `${request.protocol}://${request.headers.host}`;

/** A task's result file, published the first time it is asked for and the same link after. */
export function resultPath(
  world: SimWorld,
  task: { request: Record<string, unknown>; deliveredSeconds: number | null },
  ttlMs: number,
): string {
  task.request.resultPath ??= world.publishVideo(ttlMs, clipAsked(task.request, task.deliveredSeconds));
  return String(task.request.resultPath);
}
