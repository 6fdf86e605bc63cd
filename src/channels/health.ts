/**
 * How each channel is doing, as this instance sees it: a circuit breaker that steers traffic away from a
 * failing vendor account (open after repeated failures, one probe after a cool-down, closed on success), plus
 * the recent error rate and last error for operators. With several instances, a circuit opening or closing here
 * is told (`onCircuit`) to shared-circuits.ts, which shares it; what another instance found arrives by `adopt`.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface HealthOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses traffic before letting one probe through. */
  openMs: number;
  /** Outcomes remembered for the error rate. */
  window: number;
}

export const defaultHealthOptions: HealthOptions = { failureThreshold: 5, openMs: 30_000, window: 50 };

class ChannelHealth {
  state: CircuitState = 'closed';
  consecutiveFailures = 0;
  openedAt = 0;
  probeInFlight = false;
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  readonly recent: boolean[] = [];
}

export interface HealthView {
  state: CircuitState;
  consecutive_failures: number;
  recent_error_rate: number;
  recent_calls: number;
  last_error: string | null;
  last_error_at: number | null;
}

/** A circuit as instances share it: open since `openedAt`, or closed. */
export interface SharedCircuit {
  state: 'open' | 'closed';
  openedAt: number;
}

export class HealthBoard {
  private readonly channels = new Map<string, ChannelHealth>();
  /** Told when a circuit opens, or closes after being open, through this instance's own calls. */
  onCircuit: (channelId: string, circuit: SharedCircuit) => void = () => undefined;

  constructor(
    private readonly options: HealthOptions = defaultHealthOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes on what another instance found: a circuit it opened rests the channel here too (from the same moment),
   * and one it closed with a successful probe lets calls through here.
   */
  adopt(channelId: string, circuit: SharedCircuit): void {
    const health = this.get(channelId);
    if (circuit.state === 'open') {
      if (health.state !== 'closed' && health.openedAt >= circuit.openedAt) return;
      health.state = 'open';
      health.openedAt = circuit.openedAt;
    } else {
      if (health.state === 'closed' || health.openedAt > circuit.openedAt) return;
      health.state = 'closed';
      health.consecutiveFailures = 0;
    }
    health.probeInFlight = false;
  }

  /**
   * Whether a call may go to the channel now. An open circuit says no until its cool-down ends; then exactly one
   * caller gets through as the probe (half-open) while the others keep being refused.
   */
  allows(channelId: string): boolean {
    const health = this.channels.get(channelId);
    if (!health || health.state === 'closed') return true;
    if (health.state === 'open' && this.now() - health.openedAt >= this.options.openMs) {
      health.state = 'half_open';
      health.probeInFlight = false;
    }
    if (health.state === 'half_open' && !health.probeInFlight) {
      health.probeInFlight = true;
      return true;
    }
    return false;
  }

  /** Milliseconds until an open circuit lets a probe through (0 when calls may go now). */
  waitMs(channelId: string): number {
    const health = this.channels.get(channelId);
    if (!health || health.state !== 'open') return 0;
    return Math.max(0, health.openedAt + this.options.openMs - this.now());
  }

  recordSuccess(channelId: string): void {
    const health = this.get(channelId);
    this.remember(health, true);
    health.consecutiveFailures = 0;
    const wasOpen = health.state !== 'closed';
    health.state = 'closed';
    health.probeInFlight = false;
    if (wasOpen) this.onCircuit(channelId, { state: 'closed', openedAt: health.openedAt });
  }

  recordFailure(channelId: string, reason: string): void {
    const health = this.get(channelId);
    this.remember(health, false);
    health.consecutiveFailures += 1;
    health.lastError = reason;
    health.lastErrorAt = this.now();
    if (health.state === 'half_open' || health.consecutiveFailures >= this.options.failureThreshold) {
      const opening = health.state !== 'open';
      health.state = 'open';
      health.openedAt = this.now();
      health.probeInFlight = false;
      if (opening) this.onCircuit(channelId, { state: 'open', openedAt: health.openedAt });
    }
  }

  view(channelId: string): HealthView {
    const health = this.channels.get(channelId) ?? new ChannelHealth();
    const failures = health.recent.filter((ok) => !ok).length;
    // Report an expired open circuit as half-open: the next call is a probe.
    const state = health.state === 'open' && this.waitMs(channelId) === 0 ? 'half_open' : health.state;
    return {
      state,
      consecutive_failures: health.consecutiveFailures,
      recent_error_rate: health.recent.length === 0 ? 0 : failures / health.recent.length,
      recent_calls: health.recent.length,
      last_error: health.lastError,
      last_error_at: health.lastErrorAt === null ? null : Math.floor(health.lastErrorAt / 1000),
    };
  }

  private get(channelId: string): ChannelHealth {
    let health = this.channels.get(channelId);
    if (!health) {
      health = new ChannelHealth();
      this.channels.set(channelId, health);
    }
    return health;
  }

  private remember(health: ChannelHealth, ok: boolean): void {
    health.recent.push(ok);
    if (health.recent.length > this.options.window) health.recent.shift();
  }
}
