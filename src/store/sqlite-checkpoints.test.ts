import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './db.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SQLite checkpoints on a worker thread', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<{ database: Database; file: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'reelay-checkpoints-'));
    dirs.push(dir);
    const file = join(dir, 'reelay.db');
    const database = await openDatabase(`sqlite://${file}`);
    await sql`create table filler (id integer primary key, body text not null)`.execute(database.db);
    return { database, file };
  }

  /** About `pages` log pages of rows, in transactions of a few pages each (as the engine commits). */
  async function write(database: Database, pages: number): Promise<void> {
    const body = 'x'.repeat(3_000);
    for (let done = 0; done < pages; done += 4) {
      await database.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 4; i++) await sql`insert into filler (body) values (${body})`.execute(trx);
      });
    }
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
      await sleep(20);
    }
  }

  it("copies the log into the database file long before the gateway's own threshold", async () => {
    const { database, file } = await open();
    const before = statSync(file).size;
    // Below the gateway connection's own threshold, and SQLite's default one (1,000): only the worker moves them.
    await write(database, 400);
    await until(() => statSync(file).size > before + 300 * 4096, 'the rows reached the database file');
    await database.close();
  });

  it('keeps the log from growing with the writes, and loses nothing across close and reopen', async () => {
    const { database, file } = await open();
    const rounds = 6;
    const pagesPerRound = 200;
    for (let round = 0; round < rounds; round++) {
      await write(database, pagesPerRound);
      await sleep(600); // a few of the worker's turns
    }
    // Checkpointed logs are written over from the start: the log holds a round or two, not all of them (nor
    // SQLite's default threshold's worth, 1,000 pages).
    expect(statSync(`${file}-wal`).size).toBeLessThan(3 * pagesPerRound * 4096);
    await database.close();

    const reopened = await openDatabase(`sqlite://${file}`);
    const { rows } = await sql<{ n: number }>`select count(*) as n from filler`.execute(reopened.db);
    expect(rows[0]!.n).toBe(rounds * pagesPerRound);
    await reopened.close();
  });
});
