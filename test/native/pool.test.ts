import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import zlib from 'node:zlib';
import t from 'tap';
import {
  crc32cNative,
  crc32cTs,
  ErrorCode,
  NativeThreadPool,
  nativeStatus,
  parseCpuList,
  readTopologyTs,
  snappyCompressTs,
  snappyUncompressTs,
  TwinThreadPool,
  type ThreadPool,
  type ThreadPoolOptions,
  type Topology,
} from '../../agent/native';
import { nativeBinding } from '../../agent/native/loader';
import { nativeTestBinding } from './support/testing-binding';
import { bothImpls, expectCode, expectRejectCode } from './harness';

function fakeSysfs(nodes: Record<number, string>, online?: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-sysfs-'));
  for (const [id, list] of Object.entries(nodes)) {
    fs.mkdirSync(path.join(root, 'devices/system/node', `node${id}`), { recursive: true });
    fs.writeFileSync(path.join(root, 'devices/system/node', `node${id}`, 'cpulist'), `${list}\n`);
  }
  fs.mkdirSync(path.join(root, 'devices/system/node/possible-not-a-node'), { recursive: true });
  if (online !== undefined) {
    fs.mkdirSync(path.join(root, 'devices/system/cpu'), { recursive: true });
    fs.writeFileSync(path.join(root, 'devices/system/cpu/online'), `${online}\n`);
  }
  return root;
}

const randomBuf = (n: number, seed: number) => {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = i % 7 === 0 ? x & 0xff : (i >> 4) & 0xff; // compressible with some noise
  }
  return b;
};

t.test('cpu list parsing', async (t) => {
  t.same(parseCpuList('0-3,8-11\n'), [0, 1, 2, 3, 8, 9, 10, 11]);
  t.same(parseCpuList('5'), [5]);
  t.same(parseCpuList(''), []);
  t.equal(parseCpuList('3-1'), null);
  t.equal(parseCpuList('a-b'), null);
});

type TopoFn = (root: string) => Topology;
bothImpls<TopoFn>(t, 'topology', { native: () => (r) => nativeBinding()!.readTopology(r), twin: () => readTopologyTs }, async (t, read) => {
  const two = fakeSysfs({ 0: '0-1', 1: '2-3' }, '0-2');
  t.same(read(two), { nodes: [{ id: 0, cpus: [0, 1] }, { id: 1, cpus: [2] }], source: 'sysfs' }, '2 nodes, offline CPU 3 dropped');
  const four = fakeSysfs({ 0: '0-3,8-11', 1: '4-7,12-15', 2: '16-19', 3: '20-23' }, '0-23');
  const r4 = read(four);
  t.equal(r4.nodes.length, 4);
  t.same(r4.nodes[0]!.cpus, [0, 1, 2, 3, 8, 9, 10, 11]);
  const offlineNode = fakeSysfs({ 0: '0-1', 1: '2-3' }, '0-1');
  t.same(read(offlineNode).nodes, [{ id: 0, cpus: [0, 1] }], 'node with only offline CPUs dropped');
  const bad = fakeSysfs({ 0: '0-1', 1: 'garbage' }, '0-3');
  t.same(read(bad).nodes, [{ id: 0, cpus: [0, 1] }], 'malformed cpulist ignored');
  const none = fakeSysfs({}, '0-5');
  t.same(read(none), { nodes: [{ id: 0, cpus: [0, 1, 2, 3, 4, 5] }], source: 'sysfs-online' });
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-sysfs-'));
  const fb = read(empty);
  t.equal(fb.source, 'fallback');
  t.equal(fb.nodes.length, 1);
  t.ok(read('/sys').nodes.length >= 1, 'real sysfs');
});

type CrcFn = (b: Uint8Array, seed?: number) => number;
bothImpls<CrcFn>(t, 'crc32c', { native: () => crc32cNative, twin: () => crc32cTs }, async (t, crc, kind) => {
  t.equal(crc(Buffer.from('123456789')), 0xe3069283, 'check value');
  t.equal(crc(Buffer.alloc(0)), 0);
  t.equal(crc(Buffer.alloc(32)), 0x8a9136aa, '32 zero bytes (RFC 3720)');
  t.equal(crc(Buffer.alloc(32, 0xff)), 0x62a8ab43, '32 0xFF bytes (RFC 3720)');
  const big = randomBuf(100_003, 9);
  t.equal(crc(big.subarray(50_000), crc(big.subarray(0, 50_000))), crc(big), 'chaining');
  for (let n = 0; n < 40; n++) {
    const b = randomBuf(n, n + 1);
    if (crc(b.subarray(1)) !== crc32cTs(b.subarray(1))) t.fail(`unaligned length ${n} differs from the table`);
  }
  if (kind === 'native') {
    t.equal(nativeTestBinding().crc32cTable(big, 0), crc(big), 'hardware path equals the table path');
  }
  expectCode(t, () => crc('x' as unknown as Uint8Array), ErrorCode.INVALID_ARG);
  expectCode(t, () => crc(Buffer.alloc(1), -1), ErrorCode.INVALID_ARG);
  expectCode(t, () => crc(Buffer.alloc(1), 2 ** 32), ErrorCode.INVALID_ARG);
});

t.test('snappy: native and twin produce identical bytes and round-trip', { skip: nativeStatus().available ? false : nativeStatus().reason }, async (t) => {
  const b = nativeTestBinding();
  const inputs = [Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(100_000, 'abcd'), randomBuf(300_000, 3), crypto.randomBytes(70_000)];
  for (const input of inputs) {
    const n = b.snappyCompress(input);
    const ts = snappyCompressTs(input);
    t.ok(n.equals(ts), `identical compressed bytes for ${input.length} B`);
    t.ok(snappyUncompressTs(n).equals(input));
    t.ok(b.snappyUncompress(ts).equals(input));
  }
});

type PoolFactory = (opts?: ThreadPoolOptions) => ThreadPool;
bothImpls<PoolFactory>(t, 'thread pool', { native: () => (o) => new NativeThreadPool(o), twin: () => (o) => new TwinThreadPool(o) }, async (t, make, kind) => {
  const pool = make({ workers: 2 });
  t.teardown(() => pool.close());
  t.equal(pool.kind, kind);

  await t.test('codecs', async (t) => {
    const data = randomBuf(1_000_000, 5);
    t.equal(await pool.crc32c(data), crc32cTs(data));
    t.equal(await pool.crc32c(data.subarray(10), crc32cTs(data.subarray(0, 10))), crc32cTs(data), 'seeded');
    const gz = await pool.gzip(data, 6);
    t.ok(zlib.gunzipSync(gz).equals(data), 'gzip readable by node:zlib');
    t.ok((await pool.gunzip(zlib.gzipSync(data))).equals(data), 'gunzip of node:zlib output');
    const df = await pool.deflate(data, 1);
    t.ok(zlib.inflateSync(df).equals(data), 'deflate readable by node:zlib');
    t.ok((await pool.inflate(zlib.deflateSync(data))).equals(data));
    const sn = await pool.snappyCompress(data);
    t.ok(sn.equals(snappyCompressTs(data)), 'snappy bytes equal the twin');
    t.ok((await pool.snappyUncompress(sn)).equals(data));
    const text = Buffer.from('cpu_seconds_total{mode="idle",cpu="0"} 12345.6\n'.repeat(20000));
    const st = await pool.snappyCompress(text);
    t.ok(st.length < text.length / 5, `snappy compresses repetitive text (${st.length} of ${text.length})`);
    const empty = await pool.gzip(Buffer.alloc(0));
    t.equal(zlib.gunzipSync(empty).length, 0, 'empty input');
  });

  await t.test('bad input gets coded errors', async (t) => {
    await expectRejectCode(t, pool.gunzip(Buffer.from('not gzip at all')), ErrorCode.POOL_TASK);
    await expectRejectCode(t, pool.inflate(Buffer.alloc(10, 1)), ErrorCode.POOL_TASK);
    await expectRejectCode(t, pool.snappyUncompress(Buffer.from([0x10, 0xf0, 1])), ErrorCode.POOL_TASK);
    await expectRejectCode(t, pool.gunzip(zlib.gzipSync(Buffer.alloc(1000)).subarray(0, 20)), ErrorCode.POOL_TASK, 'truncated gzip');
    await expectRejectCode(t, pool.gzip('str' as unknown as Uint8Array), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, pool.gzip(Buffer.alloc(1), 10), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, pool.crc32c(Buffer.alloc(1), -5), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, pool.crc32c(Buffer.alloc(1), 0, { node: 99 }), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, pool.spin(-1), ErrorCode.INVALID_ARG);
    expectCode(t, () => make({ workers: -1 }), ErrorCode.INVALID_ARG);
    expectCode(t, () => make({ workers: 1.5 }), ErrorCode.INVALID_ARG);
    expectCode(t, () => make({ pin: 'yes' as unknown as boolean }), ErrorCode.INVALID_ARG);
  });

  await t.test('thousands of tasks', async (t) => {
    const bufs = Array.from({ length: 3000 }, (_, i) => randomBuf(64 + (i % 500), i + 1));
    const got = await Promise.all(bufs.map((b) => pool.crc32c(b)));
    t.ok(got.every((v, i) => v === crc32cTs(bufs[i]!)), '3000 CRCs correct');
    const zs = await Promise.all(bufs.slice(0, 500).map((b) => pool.snappyCompress(b)));
    t.ok(zs.every((z, i) => snappyUncompressTs(z).equals(bufs[i]!)), '500 snappy round trips');
    const st = pool.stats();
    t.equal(st.pending, 0);
    t.ok(st.workers.reduce((a, w) => a + w.executed, 0) >= 3500, 'executed counted');
  });

  await t.test('shutdown with pending tasks', async (t) => {
    const p2 = make({ workers: 1 });
    const tasks = Array.from({ length: 200 }, () => p2.spin(2000));
    await new Promise((r) => setTimeout(r, 10));
    await p2.close();
    const results = await Promise.allSettled(tasks);
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const closed = results.filter((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === ErrorCode.POOL_CLOSED).length;
    t.equal(ok + closed, 200, `every task completed (${ok}) or was rejected POOL_CLOSED (${closed})`);
    t.ok(closed > 0, 'queued tasks were rejected');
    await expectRejectCode(t, p2.crc32c(Buffer.alloc(1)), ErrorCode.POOL_CLOSED, 'submission after close');
    await p2.close();
    t.pass('close is idempotent');

    const p3 = make({ workers: 1 });
    const drained = Array.from({ length: 50 }, () => p3.spin(500));
    await p3.close({ drain: true });
    t.equal((await Promise.allSettled(drained)).filter((r) => r.status === 'fulfilled').length, 50, 'drain completes every task');
  });
});

t.test('native pool: NUMA queues, stealing, pinning', { skip: nativeStatus().available ? false : nativeStatus().reason }, async (t) => {
  // Node 1's CPUs (60-61) do not exist here: its worker runs unpinned.
  const root = fakeSysfs({ 0: '0', 1: '60-61' }, '0-63');
  const pool = new NativeThreadPool({ workers: 2, sysfsRoot: root, pin: true });
  t.teardown(() => pool.close());
  const st0 = pool.stats();
  t.same(st0.nodes.map((n) => n.id), [0, 1]);
  const w1 = st0.workers.find((w) => w.node === 1)!;
  t.equal(w1.pinned, false, 'pinning to absent CPUs fails...');
  t.equal(w1.pinError, 'EINVAL', '...and says why');
  const w0 = st0.workers.find((w) => w.node === 0)!;
  t.equal(w0.pinned, true, 'worker of node 0 pinned to CPU 0');
  // Unbalanced load: everything queued on node 0.
  const ids = await Promise.all(Array.from({ length: 300 }, () => pool.spin(300, { node: 0 })));
  const st = pool.stats();
  const stolen = st.workers.find((w) => w.node === 1)!.stolen;
  t.ok(stolen > 0, `node 1's worker stole ${stolen} of 300 tasks`);
  t.equal(st.workers.reduce((a, w) => a + w.executed, 0), 300);
  t.ok(ids.includes(w1.id), 'stolen tasks ran on node 1');
  t.equal(st.workers.find((w) => w.node === 0)!.stolen, 0, 'own-node work is not counted as stolen');
});

t.test('teardown with tasks in flight', async (t) => {
  const script = path.join(__dirname, 'fixtures', 'pool-exit.js');
  for (const mode of ['exit', 'gc']) {
    const r = spawnSync(process.execPath, [script, mode], { encoding: 'utf8', timeout: 30000, env: process.env });
    t.equal(r.status, 0, `process ${mode} with pending tasks exits 0 (${r.stderr.slice(0, 500)})`);
    t.equal(r.signal, null);
  }
  for (let i = 0; i < 3; i++) {
    const w = new Worker(script, { workerData: { mode: 'worker' } });
    await new Promise((resolve) => w.once('message', resolve));
    const code = await w.terminate();
    t.equal(code, 1, `worker ${i} terminated mid-flood`);
  }
  t.pass('no crash, no hang');
});
