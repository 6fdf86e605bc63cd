/**
 * Statements compiled once and then run with new values. Kysely builds and compiles a query's SQL anew on every
 * call; for the few statements the poller and the query path run thousands of times a second, that cost about as
 * much as the database running them (docs/benchmarks.md).
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database, Dialect } from './db.js';
import type { Schema } from './schema.js';

/** Stands in for a named value while the statement is compiled. */
class Slot {
  constructor(readonly name: string) {}
}

export interface Precompiled<Values, Row> {
  /** Runs the statement with these values, on a connection or inside a transaction. */
  run(database: Database, values: Values): Promise<QueryResult<Row>>;
  /** Runs a write with these values: true when it changed at least one row (a compare-and-set that held). */
  changed(database: Database, values: Values): Promise<boolean>;
}

/**
 * `build` gets a stand-in for each value and must give the same SQL whatever the values are: every value a
 * parameter (no optional columns, no lists of varying length), and every stand-in used as a plain value.
 */
export function precompiled<Values extends object, Row>(
  build: (db: Kysely<Schema>, value: Values, database: Database) => Compilable<Row>,
): Precompiled<Values, Row> {
  const standIns = new Proxy({}, { get: (_, name) => new Slot(String(name)) }) as Values;
  const compiled = new Map<Dialect, { query: CompiledQuery<Row>; slots: (string | null)[] }>();
  const statement: Precompiled<Values, Row> = {
    run(database, values) {
      const { db, dialect } = database;
      let statement = compiled.get(dialect);
      if (!statement) {
        const query = build(db, standIns, database).compile();
        const slots = query.parameters.map((p) => (p instanceof Slot ? p.name : null));
        statement = { query, slots };
        compiled.set(dialect, statement);
      }
      const { query, slots } = statement;
      const parameters = slots.map((name, i) =>
        name === null ? query.parameters[i] : (values as Record<string, unknown>)[name],
      );
      return db.executeQuery<Row>({ ...query, parameters });
    },
    async changed(database, values) {
      return ((await statement.run(database, values)).numAffectedRows ?? 0n) > 0n;
    },
  };
  return statement;
}
