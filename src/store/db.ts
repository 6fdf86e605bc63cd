/** Opens the one database Reelay uses: SQLite (embedded default) or PostgreSQL, behind the same Kysely API. */
import SQLite from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Migration,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { LocalChangeFeed, PostgresChangeFeed, type ChangeFeed } from './change-feed.js';
import * as baseline from './migrations/001-baseline.js';
import * as security from './migrations/002-security.js';
import * as sharedLimits from './migrations/003-shared-limits.js';
import * as queuePosition from './migrations/004-queue-position.js';
import type { Schema } from './schema.js';
import { SqliteCheckpoints, safetyNetPages } from './sqlite-checkpoints.js';

export type Dialect = 'sqlite' | 'postgres';

/** What the two databases do differently, by name: the store asks for a capability, never for a database. */
export interface Capabilities {
  /** Rows can be locked by a claim (`FOR UPDATE`), and other claimers skip them (`SKIP LOCKED`). */
  skipLocked: boolean;
  /**
   * Several processes write at once (instances sharing PostgreSQL): a write that reads before it writes locks what
   * it read, and transactions stay short. SQLite has one writer, which is one process.
   */
  severalWriters: boolean;
  /** Changes can be announced to every instance (LISTEN/NOTIFY; change-feed.ts). */
  notifications: boolean;
}

/**
 * The database every store function takes first: a connection pool, or the same inside a transaction
 * (inTransaction). `dialect` only picks how SQL is compiled; behaviour differences are `capabilities`.
 */
export interface Database {
  db: Kysely<Schema>;
  dialect: Dialect;
  capabilities: Capabilities;
  /** Changes any instance made (keys, channels, tasks); on SQLite, this process's own. Started by the gateway. */
  changes: ChangeFeed;
  close(): Promise<void>;
}

const capabilitiesOf: Record<Dialect, Capabilities> = {
  sqlite: { skipLocked: false, severalWriters: false, notifications: false },
  postgres: { skipLocked: true, severalWriters: true, notifications: true },
};

/** Runs `work` in one transaction; the store functions it calls take `trx` as their database. */
export function inTransaction<T>(database: Database, work: (trx: Database) => Promise<T>): Promise<T> {
  return database.db.transaction().execute((trx) => work({ ...database, db: trx }));
}

// PostgreSQL returns BIGINT as strings; Reelay's bigints are millisecond times, safe as numbers.
pg.types.setTypeParser(20, (value) => Number(value));

/** In order; a new migration is the next number. */
const migrations: Record<string, Migration> = {
  '001-baseline': baseline,
  '002-security': security,
  '003-shared-limits': sharedLimits,
  '004-queue-position': queuePosition,
};

export interface OpenOptions {
  /** PostgreSQL only: a schema to create and use (isolates test runs). */
  schema?: string;
  /** Told of trouble that does not stop the database (a failed background checkpoint). */
  warn?: (message: string) => void;
}

export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  const database =
    url.startsWith('postgres://') || url.startsWith('postgresql://')
      ? await openPostgres(url, options)
      : openSqlite(url, options.warn ?? ((message) => process.emitWarning(message)));
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations },
    // Kysely looks for its own tables in every schema unless told which: another schema's must not count.
    ...(database.dialect === 'postgres'
      ? { migrationTableSchema: options.schema ?? (await currentSchema(database)) }
      : {}),
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's table listing spans every schema: one dropped meanwhile by someone else (3F000) is not our failure.
  for (let retry = 0; retry < 5 && (error as { code?: string } | undefined)?.code === '3F000'; retry++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    ({ error, results } = await migrator.migrateToLatest());
  }

  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    await database.close();
    // Pre-release databases carry the per-feature migrations squashed into 001-baseline.
    const preRelease = /previously executed migration 00\d-(initial|videos|billing)/.test(String(error))
      ? ' (this database was made by a pre-release Reelay: start from an empty one, e.g. move data/ aside)'
      : '';
    throw new Error(
      `database migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${String(error)}${preRelease}`,
    );
  }
  return database;
}

function openSqlite(url: string, warn: (message: string) => void): Database {
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') {
    // Owner only: the database holds key hashes, sealed credentials and every task.
    if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    if (!existsSync(file)) writeFileSync(file, '', { mode: 0o600 });
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // A file's checkpoints run on a worker thread (sqlite-checkpoints.ts); this connection's only past the net.
  const checkpoints =
    file === ':memory:'
      ? null
      : new SqliteCheckpoints(file, checkpointIntervalMs, (reason) =>
          warn(`SQLite checkpoint failed (retried; the database is unharmed): ${reason}`),
        );
  if (checkpoints) sqlite.pragma(`wal_autocheckpoint = ${safetyNetPages}`);
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: keepingStatements(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    capabilities: capabilitiesOf.sqlite,
    changes: new LocalChangeFeed(),
    close: async () => {
      await checkpoints?.stop();
      await db.destroy();
    },
  };
}

/** How often the worker checkpoints: often enough that the log stays a few MB at the busiest. */
const checkpointIntervalMs = 250;

/** Prepared statements kept per SQL text (most recently used first out of `limit`). */
const statementCacheSize = 500;

/**
 * better-sqlite3 that keeps its prepared statements: Kysely prepares every query anew, and preparing costs more
 * than running the small queries Reelay makes (docs/benchmarks.md). Kysely runs one query at a time on SQLite.
 */
function keepingStatements(sqlite: SQLite.Database, limit = statementCacheSize): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement) statements.delete(sql);
      else statement = sqlite.prepare(sql);
      statements.set(sql, statement);
      if (statements.size > limit) statements.delete(statements.keys().next().value!);
      return statement;
    },
  };
}

async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  if (options.schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    await admin.end();
  }
  const connection = {
    connectionString: url,
    ...(options.schema ? { options: `-c search_path="${options.schema}"` } : {}),
  };
  const pool = new pg.Pool({ ...connection, max: 10 });
  // A connection lost (PostgreSQL restarted, backend terminated) emits an error: unheard, it would end the process.
  // An idle one leaves the pool by itself; one held between the queries of a transaction fails its next query,
  // which rolls the transaction back. Later queries open new connections.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const changes = new PostgresChangeFeed(connection);
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    capabilities: capabilitiesOf.postgres,
    changes,
    close: async () => {
      await changes.close();
      await db.destroy();
    },
  };
}

/** A write refused by a unique or primary-key constraint, on either database. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === '23505' || (typeof code === 'string' && /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test(code))
  );
}

/** The schema unqualified names resolve to (search_path), e.g. "public". */
async function currentSchema(database: Database): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db);
  return rows[0]!.schema;
}
