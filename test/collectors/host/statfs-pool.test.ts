/**
 * The statfs threads: a hang is simulated deterministically with Atomics.wait on a shared buffer inside the worker
 * (a real blocked thread, as a stuck NFS statfs would be), released by the test.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { StatfsBusyError, StatfsPool, StatfsTimeoutError } from '../../../agent/collectors/host/statfs-pool';
import { hangImpl, release } from './hang';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

t.test('real statfs through the threads', async (t) => {
  const pool = new StatfsPool({ threads: 1, maxBlocked: 1 });
  t.teardown(() => pool.close());
  const s = await pool.statfs('/', 5000);
  t.ok(s.blocks > 0 && s.bsize > 0);
  await t.rejects(pool.statfs('/definitely/not/here', 5000), { code: 'ENOENT' });
});

t.test('a hung statfs times out, its thread is replaced, and the number of threads is capped', async (t) => {
  const shared = new SharedArrayBuffer(4);
  const late: string[] = [];
  const pool = new StatfsPool({ threads: 1, maxBlocked: 2, impl: hangImpl, workerData: shared, onLate: (p) => late.push(p) });
  t.teardown(() => {
    release(shared);
    pool.close();
  });

  t.equal((await pool.statfs('/ok', 5000)).blocks, 100);
  await t.rejects(pool.statfs('/err', 5000), { code: 'EACCES' });
  await t.rejects(pool.statfs('/hang/1', 50), StatfsTimeoutError);
  t.equal((await pool.statfs('/ok', 5000)).blocks, 100, 'a fresh thread serves the next call');
  await t.rejects(pool.statfs('/hang/2', 50), StatfsTimeoutError);
  await t.rejects(pool.statfs('/hang/3', 50), StatfsTimeoutError);
  t.same(pool.stats().blocked, 3);
  await t.rejects(pool.statfs('/ok', 5000), StatfsBusyError, 'with threads + maxBlocked threads blocked, calls fail at once');
  t.equal(pool.stats().created, 3, 'never more than threads + maxBlocked threads');

  // The libuv threadpool is untouched: file reads still complete while three statfs threads are stuck.
  await Promise.all(Array.from({ length: 8 }, () => readFile(__filename)));

  release(shared);
  await until(() => late.length === 3, 'the blocked calls to return');
  t.same(late.sort(), ['/hang/1', '/hang/2', '/hang/3']);
  t.equal(pool.stats().blocked, 0);
  t.ok(pool.stats().active <= 1, 'returned threads beyond the pool size are ended');
  t.equal((await pool.statfs('/ok', 5000)).blocks, 100);
});

t.test('a thread that cannot start fails the waiting calls instead of respawning', async (t) => {
  const pool = new StatfsPool({ threads: 1, maxBlocked: 1, impl: 'this is not javascript' });
  t.teardown(() => pool.close());
  await t.rejects(pool.statfs('/', 5000));
  t.equal(pool.stats().created, 1);
});

t.test('close rejects queued calls and is idempotent', async (t) => {
  const pool = new StatfsPool({ threads: 1, maxBlocked: 0 });
  const p = pool.statfs('/', 5000);
  pool.close();
  pool.close();
  await t.rejects(p);
  await t.rejects(pool.statfs('/', 5000));
});
