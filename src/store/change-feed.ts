/**
 * Changes announced to every instance sharing the database, so caches drop what changed at once instead of after
 * CACHE_TTL_MS (which stays the fallback for a missed notice), and task watchers read a task when it moved.
 * PostgreSQL carries them with LISTEN/NOTIFY, sent when the change commits; SQLite is one process, whose changes
 * are handed to its own listeners (their reads wait for the writing transaction: Kysely runs one query at a time
 * on SQLite's one connection).
 */
import pg from 'pg';
import { sql } from 'kysely';
import type { Database } from './db.js';

/**
 * What changed: a key (by id), a channel, a task (deleted), a channel's shared circuit state, or a task's status
 * or progress (task_state: what event streams and waiting requests show).
 */
export type ChangeTopic = 'api_key' | 'channel' | 'task' | 'circuit' | 'task_state';

export interface Change {
  topic: ChangeTopic;
  id: string;
}

export interface ChangeListener {
  /** One change, made by this instance or another. */
  onChange(change: Change): void;
  /** Notices may have been missed (the connection was lost): assume anything changed. */
  onMissed(): void;
}

export interface ChangeFeed {
  subscribe(listener: ChangeListener): void;
  /**
   * Starts listening; resolves once listening (or after a first failure, retried in the background).
   * `onTrouble` hears each lost connection.
   */
  start(onTrouble?: (err: unknown) => void): Promise<void>;
  close(): Promise<void>;
  /** Where the database cannot announce (SQLite): the change goes to this process's listeners directly. */
  deliverHere?(change: Change): void;
}

/** The notification channel; the payload names the schema, so instances of separate schemas ignore each other. */
const channelName = 'reelay_changes';
const topics = new Set<string>(['api_key', 'channel', 'task', 'circuit', 'task_state']);

/**
 * Tells every instance about a change. Inside a transaction the notice leaves when it commits (PostgreSQL holds
 * it until then), so a listener that reloads sees the change.
 */
export async function announceChange(database: Database, topic: ChangeTopic, id: string): Promise<void> {
  await announceChanges(database, topic, [id]);
}

/** Several changes of one topic in one statement. */
export async function announceChanges(database: Database, topic: ChangeTopic, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  if (!database.capabilities.notifications) {
    for (const id of ids) database.changes.deliverHere?.({ topic, id });
    return;
  }
  await sql`select pg_notify(${channelName}, current_schema() || ' ' || ${topic} || ' ' || id)
    from unnest(${ids}::text[]) as id`.execute(database.db);
}

/** SQLite: one process, nothing to hear from others; its own changes reach its listeners directly. */
export class LocalChangeFeed implements ChangeFeed {
  private readonly listeners: ChangeListener[] = [];
  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  deliverHere(change: Change): void {
    for (const listener of this.listeners) listener.onChange(change);
  }
}

const firstRetryMs = 100;
const maxRetryMs = 5_000;

/**
 * One dedicated connection that LISTENs (a pooled connection cannot: the pool hands it to others). When it is
 * lost (PostgreSQL restarted, the backend terminated) it reconnects with backoff and tells listeners that notices
 * may have been missed.
 */
export class PostgresChangeFeed implements ChangeFeed {
  private readonly listeners: ChangeListener[] = [];
  private client: pg.Client | null = null;
  private schema: string | null = null;
  private retryMs = firstRetryMs;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private everConnected = false;

  private onTrouble: (err: unknown) => void = () => undefined;

  constructor(private readonly clientConfig: pg.ClientConfig) {}

  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  async start(onTrouble?: (err: unknown) => void): Promise<void> {
    if (onTrouble) this.onTrouble = onTrouble;
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.clientConfig);
    // 'error' and 'end' both mean the connection is gone; reconnect once per client.
    let lost = false;
    const onLost = (err?: unknown) => {
      if (lost) return;
      lost = true;
      if (err) this.onTrouble(err);
      if (this.client === client) this.client = null;
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => this.deliver(message.payload));
    try {
      await client.connect();
      const { rows } = await client.query<{ schema: string }>('select current_schema() as schema');
      this.schema = rows[0]!.schema;
      // Named in pg_stat_activity, so an operator (or a test) can tell which connection listens for which schema.
      await client.query(`select set_config('application_name', $1, false)`, [
        `reelay changes ${this.schema}`,
      ]);
      await client.query(`LISTEN ${channelName}`);
    } catch (err) {
      onLost(err);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = firstRetryMs;
    // Whatever changed while no one listened was not heard: caches start again from the database.
    if (this.everConnected) for (const listener of this.listeners) listener.onMissed();
    this.everConnected = true;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, maxRetryMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private deliver(payload: string | undefined): void {
    const [schema, topic, id] = (payload ?? '').split(' ');
    if (schema !== this.schema || !topic || !topics.has(topic) || id === undefined) return;
    for (const listener of this.listeners) listener.onChange({ topic: topic as ChangeTopic, id });
  }
}
