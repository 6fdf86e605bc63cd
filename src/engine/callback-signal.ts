/**
 * Whether a channel's vendor callbacks are arriving here, so that its routine polls may back off to the fallback
 * cadence (callbacks the primary signal, polling the safety net). Kept per instance: a channel counts as calling
 * back while its last callback is younger than `silenceMs`, and not while a callback has recently come for a job
 * another instance holds (that instance's jobs may be losing their callbacks to this one, so everybody polls
 * normally: the signal degrades to normal polling, never below it).
 */
export class CallbackSignal {
  private readonly lastArrival = new Map<string, number>();
  private readonly lastMiss = new Map<string, number>();

  constructor(
    /** No callback for this long, and the channel is polled on its normal schedule again. */
    private readonly silenceMs: () => number,
    /** After a callback for a job held elsewhere, how long the channel is polled normally. */
    private readonly missMemoryMs: () => number,
  ) {}

  arrived(channelId: string, now = Date.now()): void {
    this.lastArrival.set(channelId, now);
  }

  /** A callback came for a job another instance holds: this instance could not act on it. */
  missed(channelId: string, now = Date.now()): void {
    this.lastMiss.set(channelId, now);
  }

  /** Whether the channel's routine polls back off now. */
  backingOff(channelId: string | null, now = Date.now()): boolean {
    if (channelId === null) return false;
    const arrival = this.lastArrival.get(channelId);
    if (arrival === undefined || now - arrival > this.silenceMs()) return false;
    const miss = this.lastMiss.get(channelId);
    return miss === undefined || now - miss > this.missMemoryMs();
  }
}
