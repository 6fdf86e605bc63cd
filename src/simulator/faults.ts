/** Faults every vendor simulator answers the same way; vendor-specific bodies stay in each vendor's file. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Fault } from './world.js';

/** Answers to hold back: the vendor does its work at once and answers late, as a slow vendor does. */
export const answerDelays = new WeakMap<FastifyRequest, number>();

/** Applies a vendor-independent fault. Returns true when the request has been answered (or dropped). */
export async function answerGenericFault(
  request: FastifyRequest,
  reply: FastifyReply,
  fault: Fault,
): Promise<boolean> {
  switch (fault.type) {
    case 'slow':
      answerDelays.set(request, fault.delayMs);
      return false;
    case 'slow_intake':
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return false;
    case 'garbage':
      reply.code(200).header('content-type', 'application/json').send('<html>502 Bad Gateway</html>');
      return true;
    case 'reset':
      reply.hijack();
      request.raw.socket.destroy();
      return true;
    default:
      return false;
  }
}
