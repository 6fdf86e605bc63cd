/**
 * The guarded vendor call: every call the engine makes to a vendor goes through here, under the channel's limits
 * (concurrency, rate, queue), and its outcome keeps the channel's health (circuit breaker).
 */
import type { Channel } from '../channels/directory.js';
import type { VendorAdapter, VendorAnswer, VendorCall, VendorTrouble } from '../vendors/adapter.js';
import { adapterFor } from '../vendors/registry.js';
import { CredentialsRefusedError } from '../vendors/errors.js';
import { WireError } from '../vendors/wire.js';
import type { VendorCallKind } from '../observability/metrics.js';
import type { EngineDeps } from './deps.js';

/** Trouble from a call that got no HTTP answer; `ambiguous` when the vendor may have received it. */
export type CallTrouble =
  VendorTrouble | { kind: 'retry_later'; message: string; retryAfterMs?: number; ambiguous: boolean };

/** Runs a vendor call when the caller's own limit allows (the poller's per-channel slots); see Poller. */
export type Slot = <T>(call: () => Promise<T>) => Promise<T>;

export const direct: Slot = (call) => call();

export function requireAdapter(vendor: string): VendorAdapter<unknown> {
  const adapter = adapterFor(vendor);
  if (!adapter) throw new Error(`no adapter for vendor ${vendor}`);
  return adapter;
}

export class VendorCaller {
  constructor(private readonly deps: EngineDeps) {}

  /**
   * Sends a call under the channel's limits and reads it, keeping the channel's health: trouble counts as a
   * failure (a 429 also pauses the channel), any real answer as a success. A call that never got an HTTP answer
   * is trouble worth retrying; `ambiguous` when the vendor may have received it. `bounded`: wait for the channel
   * in its bounded queue (submits), else a busy channel answers ChannelBusyError at once. `kind` names the call
   * in metrics.
   */
  async call<T extends { kind: string } | { found: boolean }>(
    adapter: VendorAdapter<unknown>,
    channel: Channel,
    call: VendorCall,
    read: (a: VendorAnswer) => T,
    {
      bounded = false,
      slot = direct,
      kind = 'poll',
    }: { bounded?: boolean; slot?: Slot; kind?: VendorCallKind } = {},
  ): Promise<T | CallTrouble> {
    const { wire, limits, health, metrics } = this.deps;
    let answer: VendorAnswer;
    let started = 0;
    const meter = (outcome: string) =>
      metrics.vendorCall(channel, kind, outcome, (performance.now() - started) / 1000);
    try {
      answer = await slot(() =>
        limits.run(
          channel,
          async () => {
            started = performance.now();
            return wire.send(await adapter.sign(call, channel.baseUrl, channel.credentials, wire));
          },
          bounded,
        ),
      );
    } catch (err) {
      if (err instanceof CredentialsRefusedError) {
        meter('channel_broken');
        health.recordFailure(channel.id, err.message);
        return { kind: 'channel_broken', message: err.message };
      }
      if (!(err instanceof WireError)) throw err;
      meter('network_error');
      health.recordFailure(channel.id, err.message);
      return { kind: 'retry_later', message: err.message, ambiguous: err.ambiguous };
    }
    const outcome = read(answer);
    meter('kind' in outcome ? outcome.kind : outcome.found ? 'found' : 'not_found');
    if ('kind' in outcome && (outcome.kind === 'retry_later' || outcome.kind === 'channel_broken')) {
      const trouble = outcome as unknown as VendorTrouble;
      health.recordFailure(channel.id, trouble.message);
      if (answer.status === 429 || (trouble.kind === 'retry_later' && trouble.retryAfterMs !== undefined)) {
        limits.pause(channel, trouble.kind === 'retry_later' ? trouble.retryAfterMs : undefined);
      }
    } else {
      health.recordSuccess(channel.id);
    }
    return outcome;
  }
}
