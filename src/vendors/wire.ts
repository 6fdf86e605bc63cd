/** Sends vendor calls over pooled HTTP connections and reads the answers. The only place that talks to vendors. */
import { Agent, type Dispatcher } from 'undici';
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
  /**
   * Calls not yet settled, each with its deadline: one timer cuts the overdue ones, whether they are sending a body,
   * waiting for the answer's head or reading it, rather than a timer or an AbortSignal per call.
   */
  private readonly inFlight = new Set<PendingCall>();
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

  /**
   * Dispatched with a handler of its own rather than through request(): no body stream to read the answer through
   * (a third less CPU per call), and the call's abort is at hand for the overdue sweep.
   */
  send(call: SignedCall): Promise<VendorAnswer> {
    let url: URL;
    try {
      url = new URL(call.url);
    } catch (err) {
      return Promise.reject(toWireError(err));
    }
    return new Promise((resolve, reject) => {
      const pending = new PendingCall(Date.now() + this.timeouts.totalMs, this.inFlight, resolve, reject);
      this.inFlight.add(pending);
      this.agent.dispatch(
        {
          origin: url.origin,
          path: url.pathname + url.search,
          method: call.method,
          headers: call.headers,
          body: call.body,
        },
        pending,
      );
    });
  }

  async close(): Promise<void> {
    clearInterval(this.overdueSweep);
    await this.agent.close();
  }

  private cutOverdue(): void {
    const now = Date.now();
    for (const call of this.inFlight) {
      if (now >= call.deadline) call.cut();
    }
  }
}

/** One call on the wire: collects the answer and settles the call's promise, leaving the in-flight set as it does. */
class PendingCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private headers: VendorAnswer['headers'] = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    readonly deadline: number,
    private readonly inFlight: Set<PendingCall>,
    private readonly resolve: (answer: VendorAnswer) => void,
    private readonly reject: (err: WireError) => void,
  ) {}

  /** Past its deadline. A call still waiting for a connection has nothing to abort yet: a later sweep cuts it. */
  cut(): void {
    this.controller?.abort(new DOMException('the vendor took too long to answer', 'TimeoutError'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Called again, with a new controller, if undici retries the call on another connection.
    this.controller = controller;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // an informational head (103 Early Hints): the answer's own head follows
    this.status = statusCode;
    // undici gives lower-cased names in a fresh object: only repeated headers need joining.
    for (const name in headers) {
      const value = headers[name];
      if (Array.isArray(value)) headers[name] = value.join(', ');
    }
    this.headers = headers as VendorAnswer['headers'];
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    // Thrown rather than aborted here: undici aborts the call with it and also stops parsing what it has already read.
    if (this.size > maxAnswerBytes) throw new Error(`answer larger than ${maxAnswerBytes} bytes`);
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.inFlight.delete(this);
    const text = Buffer.concat(this.chunks, this.size).toString('utf8');
    this.resolve({ status: this.status, headers: this.headers, json: parseJson(text), text });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.inFlight.delete(this);
    this.reject(toWireError(err));
  }
}

function toWireError(err: unknown): WireError {
  return new WireError(describeTransportError(err), !neverSent.has(errorCode(err) ?? ''));
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
