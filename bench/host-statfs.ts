/**
 * statfs mechanisms, measured: node's fs.promises.statfs (libuv pool), fs.statfsSync (blocks the event loop), and
 * the filesystem collector's dedicated pools: native threads in the addon (what it uses when the addon is loaded) and
 * the StatfsPool of worker threads (its twin); plus a thread's start-up time and memory for each.
 *
 *   npm run build && node dist/bench/host-statfs.js [calls]
 */
import { statfs, statfsSync } from 'node:fs';
import { promisify } from 'node:util';
import { StatfsPool } from '../agent/collectors/host/statfs-pool';
import { createNativeStatfsPool } from '../agent/native/statfs';

const calls = Number(process.argv[2] ?? 5000);
const statfsAsync = promisify(statfs);

async function time(label: string, fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 100; i++) await fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await fn();
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / calls;
  console.log(`  ${label.padEnd(34)} ${us.toFixed(1)} µs/call`);
  return us;
}

async function main(): Promise<void> {
  console.log(`statfs("/") x ${calls}, sequential`);
  const sync = await time('fs.statfsSync (event loop)', () => statfsSync('/'));
  const libuv = await time('fs.statfs (libuv pool)', () => statfsAsync('/'));
  const native = createNativeStatfsPool({ threads: 1, maxBlocked: 4 });
  let nativeUs = NaN;
  if (native) {
    const n0 = process.memoryUsage().rss;
    const nt = process.hrtime.bigint();
    await native.statfs('/', 5000);
    const nStartMs = Number(process.hrtime.bigint() - nt) / 1e6;
    const n1 = process.memoryUsage().rss;
    nativeUs = await time('native pool, 1 thread', () => native.statfs('/', 5000));
    native.close();
    console.log(`  native thread start-up + first call: ${nStartMs.toFixed(2)} ms; RSS +${((n1 - n0) / 1048576).toFixed(2)} MiB per thread`);
  } else {
    console.log('  native pool: addon not loaded');
  }
  const rss0 = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const pool = new StatfsPool({ threads: 1, maxBlocked: 4 });
  await pool.statfs('/', 5000);
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const rss1 = process.memoryUsage().rss;
  const worker = await time('StatfsPool, 1 thread', () => pool.statfs('/', 5000));
  pool.close();
  console.log(`  thread start-up + first call: ${startMs.toFixed(1)} ms; RSS +${((rss1 - rss0) / 1048576).toFixed(1)} MiB per thread`);
  console.log(`  pool / libuv: ${(worker / libuv).toFixed(2)}x, pool / sync: ${(worker / sync).toFixed(2)}x, native / worker pool: ${(nativeUs / worker).toFixed(2)}x`);
  const mounts = 200;
  const p2 = new StatfsPool({ threads: 1, maxBlocked: 4 });
  await p2.statfs('/', 5000);
  const b0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: mounts }, () => p2.statfs('/', 5000)));
  console.log(`  ${mounts} mounts in one pass (queued on 1 thread): ${(Number(process.hrtime.bigint() - b0) / 1e6).toFixed(2)} ms`);
  p2.close();
}

void main();
