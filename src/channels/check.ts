/**
 * A cheap check that a channel works: one authenticated status query, through the channel's adapter, for a task
 * that cannot exist. A vendor that accepts the credentials answers "no such task"; one that refuses them says so.
 * Nothing is generated and nothing is billed; the channel's health and circuit are left alone.
 */
import { randomUUID } from 'node:crypto';
import type { VendorAdapter, VideoJob } from '../vendors/adapter.js';
import { plainJob } from '../vendors/video-job.js';
import { WireError, type Wire } from '../vendors/wire.js';
import type { Channel } from './directory.js';

export interface ChannelCheck {
  ok: boolean;
  /** What the operator reads: why it failed, or what proved it works. */
  message: string;
  latency_ms: number;
}

/** A text-only job: every adapter can prepare it for some model, which yields the poll context it needs. */
const probeJob = (model: string, channel: Channel): VideoJob =>
  plainJob(channel.modelMapping[model] ?? model, 'channel check', { model, externalId: 'check' });

/** The poll context a real job on this channel would carry (Jimeng's req_key, Kling's endpoint). */
function pollContextFor(adapter: VendorAdapter<unknown>, channel: Channel): Record<string, string> {
  for (const model of channel.models) {
    try {
      return adapter.prepareSubmit(probeJob(model, channel)).pollContext;
    } catch {
      // This model needs more than a prompt (an image, …): try the next.
    }
  }
  return {};
}

export async function checkChannel(
  adapter: VendorAdapter<unknown>,
  channel: Channel,
  wire: Wire,
): Promise<ChannelCheck> {
  const started = Date.now();
  const result = (ok: boolean, message: string): ChannelCheck => ({
    ok,
    message,
    latency_ms: Date.now() - started,
  });
  try {
    const pollContext = pollContextFor(adapter, channel);
    const call = adapter.preparePoll(`reelay-check-${randomUUID()}`, pollContext);
    const answer = await wire.send(await adapter.sign(call, channel.baseUrl, channel.credentials, wire));
    const outcome = adapter.readPoll(answer, pollContext);
    switch (outcome.kind) {
      case 'channel_broken':
        return result(false, `The vendor refuses this account: ${outcome.message}`);
      case 'retry_later':
        return result(false, `The vendor is not answering normally: ${outcome.message}`);
      default:
        return result(true, `The vendor accepted the credentials (HTTP ${answer.status})`);
    }
  } catch (err) {
    if (err instanceof WireError) return result(false, `The vendor could not be reached: ${err.message}`);
    return result(false, `The check could not be made: ${err instanceof Error ? err.message : String(err)}`);
  }
}
