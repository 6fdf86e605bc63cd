/** Sends vendor calls over pooled HTTP connections and reads the answers. The only place that talks to vendors. */
import { Agent, request, type Dispatcher } from 'undici';
import type { SignedCall, VendorAnswer } from './adapter.js';

export interface WireTimeouts {
  connectMs: number;
  firstByteMs: number;
  totalMs: number;
}

export const defaultWireTimeouts: WireTimeouts = { connectMs: 5_000, firstByteMs: 30_000, totalMs: 60_000 };

/**
 * A call that never produced an HTTP answer: refused, reset, timed out. Always worth retrying later.
 * `ambiguous` when the request may have reached the vendor (it broke after connecting).
 */
export class WireError extends Error {
  constructor(
    message: string,
    readonly ambiguous: boolean,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

/** Failures that prove the request never left: nothing was connected. */
const neverSent = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** undici's own timeouts: the answer's head or its next bytes did not come in time. */
const answerTimeouts = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const maxAnswerBytes = 5 * 1024 * 1024;

export class Wire {
  private readonly agent: Agent;
  /** Answers being read, with when each call's time is up (checked by one timer rather than one per call). */
  private readonly reading = new Map<BodyReadable, number>();
  private readonly overdueSweep: NodeJS.Timeout;

  constructor(private readonly timeouts: WireTimeouts = defaultWireTimeouts) {
    this.agent = new Agent({
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.firstByteMs,
      bodyTimeout: timeouts.totalMs,
      connections: 256,
      keepAliveTimeout: 10_000,
    });
    this.overdueSweep = setInterval(() => this.cutOverdue(), Math.min(1_000, timeouts.totalMs / 4));
    this.overdueSweep.unref();
  }

  async send(call: SignedCall): Promise<VendorAnswer> {
    const deadline = Date.now() + this.timeouts.totalMs;
    try {
      const res = await request(call.url, {
        method: call.method,
        headers: call.headers,
        body: call.body,
        dispatcher: this.agent,
        // Sending a body can stall where no undici timeout applies: such a call keeps a signal of its own. A call
        // without one waits at most headersTimeout for its answer, and the sweep bounds reading the answer: an
        // AbortSignal.timeout per poll was a visible part of the poller's profile.
        ...(call.body === undefined ? {} : { signal: AbortSignal.timeout(this.timeouts.totalMs) }),
      });
      this.reading.set(res.body, deadline);
      let text: string;
      try {
        text = await readLimited(res.body, maxAnswerBytes);
      } finally {
        this.reading.delete(res.body);
      }
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: res.statusCode, headers, json: parseJson(text), text };
    } catch (err) {
      throw new WireError(describeTransportError(err), !neverSent.has(errorCode(err) ?? ''));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.overdueSweep);
    await this.agent.close();
  }

  private cutOverdue(): void {
    const now = Date.now();
    for (const [body, deadline] of this.reading) {
      if (now < deadline) continue;
      this.reading.delete(body);
      body.destroy(new DOMException('the vendor took too long to answer', 'TimeoutError'));
    }
  }
}

type BodyReadable = Dispatcher.ResponseData['body'];

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new Error(`answer larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  return (err as { code?: string }).code ?? (err.cause as { code?: string } | undefined)?.code;
}

/** A short reason without the URL (which may carry tokens) and without a stack. */
export function describeTransportError(err: unknown): string {
  if (!(err instanceof Error)) return 'vendor unreachable';
  const code = errorCode(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || (code && answerTimeouts.has(code)))
    return 'vendor did not answer in time';
  return code ? `vendor unreachable (${code})` : `vendor unreachable (${err.name})`;
}
