/** Sends vendor calls over pooled HTTP connections and reads the answers. The only place that talks to vendors. */
import { Agent, request } from 'undici';
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

const maxAnswerBytes = 5 * 1024 * 1024;

export class Wire {
  private readonly agent: Agent;

  constructor(private readonly timeouts: WireTimeouts = defaultWireTimeouts) {
    this.agent = new Agent({
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.firstByteMs,
      bodyTimeout: timeouts.totalMs,
      connections: 256,
      keepAliveTimeout: 10_000,
    });
  }

  async send(call: SignedCall): Promise<VendorAnswer> {
    try {
      const res = await request(call.url, {
        method: call.method,
        headers: call.headers,
        body: call.body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.timeouts.totalMs),
      });
      const text = await readLimited(res.body, maxAnswerBytes);
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
    await this.agent.close();
  }
}

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
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'vendor did not answer in time';
  const code = errorCode(err);
  return code ? `vendor unreachable (${code})` : `vendor unreachable (${err.name})`;
}
