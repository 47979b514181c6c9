// statfs on the addon's native threads (native/src/statfs_binding.cc): real calls, a hung call abandoned and its
// thread replaced, the cap on blocked threads, and the filesystem collector on them. A hang is a FIFO: with the
// test seam testOpenFirst the pool open()s each path before its statfs, and open() of a FIFO blocks in the kernel
// until the test opens the writer end (a real blocked thread, as a statfs on a dead NFS server is).
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { nativeStatus } from '../../agent/native';
import { createNativeStatfsPool, StatfsBusyError, StatfsTimeoutError } from '../../agent/native/statfs';
import { filesystemCollector } from '../../agent/collectors/host/filesystem';
import { collectContext, edgeFixtures } from '../collectors/host/fixture';

const skip = nativeStatus().available ? false : `native addon unavailable: ${nativeStatus().reason}`;

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A directory of FIFOs: hang(name) makes one, release(name) opens its writer end, which lets a blocked open() return. */
function fifos(t: { teardown(fn: () => Promise<void>): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-statfs-'));
  const made: string[] = [];
  const release = (p: string): boolean => {
    try {
      // Succeeds only while a reader is blocked in open(): the pool's thread.
      closeSync(openSync(p, constants.O_WRONLY | constants.O_NONBLOCK));
      return true;
    } catch {
      return false;
    }
  };
  t.teardown(async () => {
    // Let every blocked thread go before the directory goes.
    for (const p of made) for (let i = 0; i < 200 && !release(p); i++) await new Promise((r) => setTimeout(r, 5));
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    hang(name: string): string {
      const p = join(dir, name);
      mkdirSync(path.dirname(p), { recursive: true });
      execFileSync('mkfifo', [p]);
      made.push(p);
      return p;
    },
    release,
  };
}


t.test('native statfs: real calls, the same numbers as fs.statfsSync, errno errors', { skip }, async (t) => {
  const pool = createNativeStatfsPool({ threads: 1, maxBlocked: 1 })!;
  t.ok(pool, 'the addon has the statfs binding');
  t.teardown(() => pool.close());
  const s = await pool.statfs('/', 5000);
  const ref = statfsSync('/');
  t.equal(s.bsize, ref.bsize);
  t.equal(s.blocks, ref.blocks);
  t.equal(s.files, ref.files);
  t.ok(s.bfree > 0 && s.bavail <= s.bfree);
  await t.rejects(pool.statfs('/definitely/not/here', 5000), { code: 'ENOENT', syscall: 'statfs' });
  const many = await Promise.all(Array.from({ length: 200 }, () => pool.statfs('/', 5000)));
  t.equal(many.length, 200, '200 calls queued on one thread all answer');
  t.equal(pool.stats().created, 1, 'one thread served them');
});

t.test('native statfs: a hung call is abandoned, its thread replaced, the calls behind it answered; the cap holds', { skip }, async (t) => {
  const f = fifos(t);
  const late: string[] = [];
  const pool = createNativeStatfsPool({ threads: 1, maxBlocked: 2, testOpenFirst: true, onLate: (p) => late.push(p) })!;
  t.teardown(() => pool.close());

  // One round: a hung mount first, healthy ones queued behind it on the only thread. Their own deadlines are longer
  // than the hung call's: with the same one they could expire together on a loaded machine, before the replacement
  // thread answers them. Without a replacement they would wait out their 5 s and fail.
  const h1 = f.hang('h1');
  const round = [pool.statfs(h1, 150), pool.statfs('/', 5000), pool.statfs(f.dir, 5000)].map((p) => p.then((s) => s, (e: Error) => e));
  const [r1, r2, r3] = await Promise.all(round);
  t.type(r1, StatfsTimeoutError, 'the hung call times out');
  t.notOk(r2 instanceof Error, 'a call queued behind it is answered by the replacement thread');
  t.notOk(r3 instanceof Error, 'and the next one too');
  t.same(pool.stats(), { active: 1, blocked: 1, created: 2, timeouts: 1, busyRejections: 0 });

  await t.rejects(pool.statfs(f.hang('h2'), 50), StatfsTimeoutError);
  await t.rejects(pool.statfs(f.hang('h3'), 50), StatfsTimeoutError);
  t.equal(pool.stats().blocked, 3);
  await t.rejects(pool.statfs('/', 5000), StatfsBusyError, 'with threads + maxBlocked threads blocked, calls fail at once');
  t.equal(pool.stats().created, 3, 'never more than threads + maxBlocked threads');
  t.equal(pool.stats().busyRejections, 1);

  // The libuv threadpool is untouched: file reads complete while three statfs threads are stuck.
  await Promise.all(Array.from({ length: 8 }, () => readFile(__filename)));

  for (const name of ['h1', 'h2', 'h3']) t.ok(f.release(join(f.dir, name)), `${name}'s thread was still blocked in the kernel`);
  await until(() => late.length === 3, 'the blocked calls to return');
  t.same(late.sort(), [join(f.dir, 'h1'), join(f.dir, 'h2'), join(f.dir, 'h3')]);
  t.equal(pool.stats().blocked, 0, 'a returned thread is no longer counted as blocked');
  t.ok((await pool.statfs('/', 5000)).blocks > 0, 'calls are made again');
  t.ok(pool.stats().created <= 4);
});

t.test('native statfs: close does not wait on a blocked call; the late answer is dropped', { skip }, async (t) => {
  const f = fifos(t);
  const late: string[] = [];
  const pool = createNativeStatfsPool({ threads: 1, maxBlocked: 1, testOpenFirst: true, onLate: (p) => late.push(p) })!;
  const hung = f.hang('h');
  const inFlight = pool.statfs(hung, 60_000).catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  pool.close();
  pool.close();
  t.ok(Date.now() - t0 < 1000, 'close returned at once');
  t.match(String(await inFlight), /closed/);
  await t.rejects(pool.statfs('/', 1000), /closed/);
  t.ok(f.release(hung), 'the thread was still blocked after close');
  await new Promise((r) => setTimeout(r, 100));
  t.same(late, [], 'nothing is delivered after close');
});

t.test('native statfs: a process exits with a thread blocked in the kernel', { skip }, async (t) => {
  const f = fifos(t);
  const hung = f.hang('h');
  const mod = path.resolve(__dirname, '../../agent/native/statfs.js');
  const script = `const { createNativeStatfsPool } = require(${JSON.stringify(mod)});
const pool = createNativeStatfsPool({ threads: 1, maxBlocked: 1, testOpenFirst: true });
pool.statfs(${JSON.stringify(hung)}, 50).catch((e) => { process.stdout.write(e.code); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'OUTRIDER_ERR_FILESYSTEM_STATFS_TIMEOUT', 'timed out, then the process ended on its own');
});

t.test('native statfs: a worker thread ends with a statfs thread blocked; the late return touches nothing', { skip }, async (t) => {
  const f = fifos(t);
  const hung = f.hang('h');
  const mod = path.resolve(__dirname, '../../agent/native/statfs.js');
  const src = `const { createNativeStatfsPool } = require(${JSON.stringify(mod)});
const { parentPort } = require('node:worker_threads');
const pool = createNativeStatfsPool({ threads: 1, maxBlocked: 1, testOpenFirst: true });
pool.statfs(${JSON.stringify(hung)}, 50).catch((e) => parentPort.postMessage(e.code));
pool.statfs('/', 5000).then(() => parentPort.postMessage('answered'));
setInterval(() => {}, 1000);`;
  const w = new Worker(src, { eval: true });
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    w.on('message', (m: string) => {
      seen.push(m);
      if (seen.length === 2) resolve();
    });
  });
  t.same(seen.sort(), ['OUTRIDER_ERR_FILESYSTEM_STATFS_TIMEOUT', 'answered']);
  await w.terminate();
  t.ok(f.release(hung), 'the thread was still blocked when the worker ended');
  await new Promise((r) => setTimeout(r, 100));
  t.pass('the process lives on after the late return');
});

t.test('filesystem collector on native threads: hung mounts are device_error 1, stuck, capped; the rest are reported', { skip }, async (t) => {
  const f = fifos(t);
  for (const d of ['data', 'srv/My Media']) mkdirSync(join(f.dir, d), { recursive: true });
  for (const h of ['a', 'b', 'c', 'd', 'e']) f.hang(`hang/${h}`);
  const fsc = filesystemCollector({ statfsTestOpenFirst: true });
  t.teardown(() => fsc.close?.());
  const ctx = collectContext(
    { procfs: join(edgeFixtures, 'hung-mounts/proc'), rootfs: f.dir },
    { 'collectors.filesystem.interval': 0, 'collectors.filesystem.statfs_timeout': 150, 'collectors.filesystem.statfs_threads': 1, 'collectors.filesystem.statfs_max_blocked': 2 },
  );
  const fams = await fsc.collect(ctx);
  t.equal(fsc.statfsMechanism(), 'native');
  const value = (name: string, mp?: string) => fams.find((x) => x.name === name)?.samples.find((s) => mp === undefined || s.labels.mountpoint === mp)?.value;
  for (const mp of ['/hang/a', '/hang/b', '/hang/c', '/hang/d', '/hang/e']) t.equal(value('node_filesystem_device_error', mp), 1, `${mp} device_error 1`);
  for (const mp of ['/', '/data', '/srv/My Media']) t.equal(value('node_filesystem_device_error', mp), 0, `${mp} answered`);
  t.ok((value('node_filesystem_size_bytes', '/data') ?? 0) > 0);
  t.equal(value('outrider_filesystem_statfs_timeouts_total'), 3);
  t.equal(value('outrider_filesystem_statfs_refused_total'), 2, 'past the cap the other hung mounts are not called');
  t.equal(value('outrider_filesystem_stuck_mounts'), 3);
  t.equal(fsc.stuckMounts().length, 3);

  const created = fsc.statfsStats()!.created;
  const again = await fsc.collect({ ...ctx, nowMs: ctx.nowMs + 1 });
  t.equal(again.find((x) => x.name === 'node_filesystem_device_error')?.samples.find((s) => s.labels.mountpoint === '/hang/a')?.value, 1);
  t.equal(fsc.statfsStats()!.created, created, 'stuck mounts are skipped: no thread is made for them');

  for (const h of ['a', 'b', 'c']) t.ok(f.release(join(f.dir, 'hang', h)), `/hang/${h} was blocked`);
  await until(() => fsc.stuckMounts().length === 0, 'stuck mounts to answer');
  t.equal(fsc.statfsStats()!.blocked, 0);
});

t.test('filesystem collector without the addon: the worker-thread twin serves statfs', async (t) => {
  const mod = path.resolve(__dirname, '../collectors/host/fixture.js');
  const fsMod = path.resolve(__dirname, '../../agent/collectors/host/filesystem.js');
  const script = `const { filesystemCollector } = require(${JSON.stringify(fsMod)});
const { collectContext } = require(${JSON.stringify(mod)});
const c = filesystemCollector();
c.collect(collectContext({ rootfs: '/' })).then((fams) => {
  const err = fams.find((f) => f.name === 'node_filesystem_device_error');
  process.stdout.write(JSON.stringify({ mechanism: c.statfsMechanism(), ok: err.samples.find((s) => s.labels.mountpoint === '/').value === 0 }));
  c.close();
});`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, OUTRIDER_NATIVE: '0' }, encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { mechanism: 'worker', ok: true });
});
