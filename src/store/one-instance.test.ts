/** One-instance duties: two instances on one PostgreSQL never run the same duty at the same time. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';
import { runAlone } from './one-instance.js';

describe.skipIf(!testDatabases().includes('postgres'))('duties of one instance on PostgreSQL', () => {
  let a: Harness;
  let b: Harness;

  beforeAll(async () => {
    a = await Harness.start({ database: 'postgres' });
    b = await Harness.start({ database: 'postgres', reuse: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('skips a duty on one instance while another runs it, and runs it once that one is done', async () => {
    let finish!: () => void;
    const running = new Promise<void>((resolve) => (finish = resolve));
    let started!: () => void;
    const startedOnA = new Promise<void>((resolve) => (started = resolve));
    const onA = runAlone(a.gateway.deps.database, 'sweep', async () => {
      started();
      await running;
      return 'a';
    });
    await startedOnA;
    expect(await runAlone(b.gateway.deps.database, 'sweep', async () => 'b')).toBeUndefined();
    // Another duty is not held up by this one.
    expect(await runAlone(b.gateway.deps.database, 'other duty', async () => 'b')).toBe('b');
    finish();
    expect(await onA).toBe('a');
    expect(await runAlone(b.gateway.deps.database, 'sweep', async () => 'b')).toBe('b');
  });
});
