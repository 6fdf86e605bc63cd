/**
 * Channels as the core uses them: credentials opened, lists parsed, cached in memory (the submit path reads
 * them on every request) and refreshed after a change (this instance's, or one another instance announced) or
 * after a short TTL (a missed announcement).
 */
import type { Database } from '../store/db.js';
import { disableChannel, listChannels } from '../store/channels.js';
import type { ChannelRow } from '../store/schema.js';
import { credentialsPlace, type Sealer } from '../security/sealing.js';

export interface Channel {
  id: string;
  vendor: string;
  name: string;
  baseUrl: string;
  credentials: unknown;
  models: string[];
  modelMapping: Record<string, string>;
  priority: number;
  weight: number;
  enabled: boolean;
  maxConcurrency: number | null;
  maxRps: number | null;
}

export class ChannelDirectory {
  private cache: { loadedAt: number; byId: Map<string, Channel> } | null = null;
  private loading: Promise<Map<string, Channel>> | null = null;
  /** Counts invalidations: a load that started before one must not be kept (it may predate the change). */
  private generation = 0;

  constructor(
    private readonly database: Database,
    private readonly sealer: Sealer,
    private readonly ttlMs = 5_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Forget the cache (after a change to channels, made here or announced by another instance). */
  invalidate(): void {
    this.generation++;
    this.cache = null;
    this.loading = null;
  }

  /** The channel, read afresh when not cached: one created on another instance may not be known here yet. */
  async get(id: string): Promise<Channel | undefined> {
    const cached = (await this.all()).get(id);
    if (cached) return cached;
    this.invalidate();
    return (await this.all()).get(id);
  }

  /** Every configured channel, enabled or not (metrics). */
  async list(): Promise<Channel[]> {
    return [...(await this.all()).values()];
  }

  /** Whether any channel, enabled or not, is configured for the model. */
  async isServed(model: string): Promise<boolean> {
    for (const channel of (await this.all()).values()) if (channel.models.includes(model)) return true;
    return false;
  }

  /**
   * Enabled channels serving the model, in the order to try them: highest priority first; within one
   * priority, a weighted random order (a channel with twice the weight comes first twice as often).
   */
  async candidates(model: string): Promise<Channel[]> {
    const serving = [...(await this.all()).values()].filter((c) => c.enabled && c.models.includes(model));
    const byPriority = new Map<number, Channel[]>();
    for (const channel of serving)
      byPriority.set(channel.priority, [...(byPriority.get(channel.priority) ?? []), channel]);
    return [...byPriority.keys()]
      .sort((a, b) => b - a)
      .flatMap((p) => this.weightedOrder(byPriority.get(p)!));
  }

  async disable(channel: Channel, reason: string): Promise<void> {
    await disableChannel(this.database, channel.id, reason, Date.now());
    this.invalidate();
  }

  private weightedOrder(channels: Channel[]): Channel[] {
    const pool = [...channels];
    const order: Channel[] = [];
    while (pool.length > 0) {
      const total = pool.reduce((sum, c) => sum + Math.max(c.weight, 0), 0);
      let pick = this.random() * total;
      let index = pool.findIndex((c) => (pick -= Math.max(c.weight, 0)) < 0);
      if (index === -1) index = 0; // all weights zero: keep the configured order
      order.push(pool.splice(index, 1)[0]!);
    }
    return order;
  }

  private async all(): Promise<Map<string, Channel>> {
    if (this.cache && Date.now() - this.cache.loadedAt < this.ttlMs) return this.cache.byId;
    if (!this.loading) {
      const loading = this.load().finally(() => {
        if (this.loading === loading) this.loading = null;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  private async load(): Promise<Map<string, Channel>> {
    const generation = this.generation;
    const rows = await listChannels(this.database);
    const byId = new Map(rows.map((row) => [row.id, this.open(row)]));
    if (generation === this.generation) this.cache = { loadedAt: Date.now(), byId };
    return byId;
  }

  private open(row: ChannelRow): Channel {
    return {
      id: row.id,
      vendor: row.vendor,
      name: row.name,
      baseUrl: row.base_url,
      credentials: this.sealer.open(row.credentials, credentialsPlace(row.id)),
      models: JSON.parse(row.models) as string[],
      modelMapping: JSON.parse(row.model_mapping) as Record<string, string>,
      priority: row.priority,
      weight: row.weight,
      enabled: row.enabled === 1,
      maxConcurrency: row.max_concurrency,
      maxRps: row.max_rps,
    };
  }
}
