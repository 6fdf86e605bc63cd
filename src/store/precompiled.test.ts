import { afterEach, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';
import { inTransaction } from './db.js';
import { precompiled } from './precompiled.js';

describe.each(testDatabases())('precompiled statements on %s', (kind) => {
  let h: Harness;
  afterEach(() => h.close());

  const settingIn = precompiled((db, v: { key: string }) =>
    db
      .selectFrom('settings')
      .select(['key', 'value'])
      .where('key', '=', v.key)
      // A list of constants: compiled as parameters too, and kept as they were.
      .where('key', 'in', ['alpha', 'beta']),
  );
  const renameSetting = precompiled((db, v: { key: string; value: string }) =>
    db.updateTable('settings').set({ value: v.value }).where('key', '=', v.key),
  );

  it('runs each time with that call’s values, keeping the constants, and counts the rows it changed', async () => {
    h = await Harness.start({ database: kind });
    const { database } = h.gateway.deps;
    const { db } = database;
    await db
      .insertInto('settings')
      .values([
        { key: 'alpha', value: 'a' },
        { key: 'beta', value: 'b' },
        { key: 'gamma', value: 'c' },
      ])
      .execute();

    expect((await settingIn.run(database, { key: 'alpha' })).rows).toEqual([{ key: 'alpha', value: 'a' }]);
    expect((await settingIn.run(database, { key: 'beta' })).rows).toEqual([{ key: 'beta', value: 'b' }]);
    // gamma exists, but the constant list leaves it out.
    expect((await settingIn.run(database, { key: 'gamma' })).rows).toEqual([]);

    expect((await renameSetting.run(database, { key: 'beta', value: 'b2' })).numAffectedRows).toBe(1n);
    expect((await renameSetting.run(database, { key: 'delta', value: 'x' })).numAffectedRows).toBe(0n);
    expect(await renameSetting.changed(database, { key: 'alpha', value: 'a2' })).toBe(true);
    expect(await renameSetting.changed(database, { key: 'delta', value: 'x' })).toBe(false);
    expect((await settingIn.run(database, { key: 'alpha' })).rows).toEqual([{ key: 'alpha', value: 'a2' }]);
    // Inside a transaction too.
    await inTransaction(database, async (trx) => {
      expect((await settingIn.run(trx, { key: 'beta' })).rows).toEqual([{ key: 'beta', value: 'b2' }]);
    });
  });
});
