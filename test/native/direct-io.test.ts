import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  ErrorCode,
  nativeStatus,
  openAppendFileNative,
  openAppendFileTwin,
  parseDioTrailer,
  crc32cTs,
  type AppendFile,
  type AppendFileOptions,
} from '../../agent/native';
import { directIoTotals } from '../../agent/native/direct-io';
import { bothImpls, expectRejectCode, type Tap } from './harness';
import { checkRecords, record } from './fixtures/dio-records';

type OpenFn = (p: string, o?: AppendFileOptions) => Promise<AppendFile>;

function fsType(dir: string): string {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

// A real (block-device) filesystem: os.tmpdir() when it is one, else a
// directory under the worktree.
function realDiskDir(): string {
  const tmp = os.tmpdir();
  const base = ['tmpfs', 'ramfs', 'overlayfs'].includes(fsType(tmp)) ? path.resolve(__dirname, '../../..', '.tap') : tmp;
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, 'outrider-dio-'));
}

const dirs: Array<[string, string]> = [];
if (fs.existsSync('/dev/shm')) dirs.push(['tmpfs', fs.mkdtempSync('/dev/shm/outrider-dio-')]);
const disk = realDiskDir();
dirs.push([`disk (${fsType(disk)})`, disk]);
t.teardown(() => {
  for (const [, d] of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface CrashInfo {
  directIo: boolean;
  reason: string;
}

// Runs fixtures/dio-crash in a child (env added to ours), SIGKILLs it after
// `flushes` flushes and returns the last durable length it reported.
async function crashRun(p: string, kind: string, env: NodeJS.ProcessEnv = {}, flushes = 60): Promise<{ lastDurable: number; info: CrashInfo | null }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'dio-crash.js'), p, kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise((r) => child.once('exit', r));
  let lastDurable = 0;
  let info: CrashInfo | null = null;
  let lines = 0;
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`writer exited early (${code ?? signal})`)));
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const l of parts) {
        if (l.startsWith('info ')) {
          info = JSON.parse(l.slice(5)) as CrashInfo;
          continue;
        }
        lastDurable = Number(l.split(' ')[1]);
        if (++lines === flushes) {
          child.kill('SIGKILL');
          resolve();
        }
      }
    });
  });
  await exited;
  return { lastDurable, info };
}

/** The records 0..n-1 back to back: what a writer that flushed n records wrote. */
function expectedRecords(n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) parts.push(record(i));
  return Buffer.concat(parts);
}

let seq = 0;
bothImpls<OpenFn>(t, 'append file', { native: () => openAppendFileNative, twin: () => openAppendFileTwin }, async (t, open, kind) => {
  for (const [label, dir] of dirs) {
    await t.test(`${label}: append, flush, read back, reopen`, async (t) => {
      const p = path.join(dir, `f-${kind}-${seq++}`);
      const f = await open(p);
      t.comment(`directIo=${f.directIo} blockSize=${f.blockSize} reason: ${f.reason}`);
      if (kind === 'twin') t.equal(f.directIo, false);
      t.equal(f.length, 0);
      let expected = Buffer.alloc(0);
      for (let i = 0; i < 500; i++) {
        const r = record(i);
        if (f.append(r) !== expected.length + r.length) t.fail(`append ${i} returned a wrong offset`);
        expected = Buffer.concat([expected, r]);
        if (i % 37 === 0) t.equal(await f.flush(), expected.length);
      }
      t.ok(f.length > f.durableLength, 'unflushed bytes are not durable');
      t.equal(await f.flush(), expected.length);
      t.equal(f.durableLength, expected.length);
      const st = fs.statSync(p);
      t.equal(st.size % f.blockSize, 0, 'file size is whole blocks');
      t.ok(st.size >= expected.length + 16);
      const trailer = parseDioTrailer(fs.readFileSync(p).subarray(st.size - 16));
      t.equal(trailer, expected.length, 'trailer holds the logical length');
      const all = await f.read(0, expected.length + 10_000);
      t.ok(all.equals(expected), 'read clipped to the logical length, no padding');
      t.ok((await f.read(1234, 999)).equals(expected.subarray(1234, 2233)), 'unaligned positional read');
      t.equal((await f.read(expected.length, 10)).length, 0, 'read at the end is empty');
      await f.close();
      await expectRejectCode(t, f.flush(), ErrorCode.DIO_CLOSED);
      t.throws(() => f.append(Buffer.alloc(1)), { code: ErrorCode.DIO_CLOSED });

      // Reopen with either implementation: same format.
      for (const again of [openAppendFileTwin, ...(nativeStatus().available ? [openAppendFileNative] : [])]) {
        const g = await again(p);
        t.equal(g.durableLength, expected.length, `${g.kind} reopen recovers the length`);
        t.ok((await g.read(0, expected.length)).equals(expected), `${g.kind} reads the same bytes`);
        await g.close();
      }
      const h = await open(p, { dsync: true });
      h.append(record(500));
      expected = Buffer.concat([expected, record(500)]);
      await h.close();
      t.equal(checkRecords(fs.readFileSync(p).subarray(0, expected.length)), 501, 'appending after reopen continues the tail');
      const g2 = await openAppendFileTwin(p);
      t.ok((await g2.read(0, 1 << 30)).equals(expected));
      await g2.close();
    });
  }

  await t.test('write-behind writes staged bytes without making them durable; flush completes them', async (t) => {
    const p = path.join(disk, `wb-${kind}-${seq++}`);
    const f = await open(p, { writeBehindBytes: 16 * 1024 });
    let expected = Buffer.alloc(0);
    for (let i = 0; i < 400; i++) {
      const r = record(i);
      f.append(r);
      expected = Buffer.concat([expected, r]);
    }
    // The background writes need no flush; wait until they are done: once less than the threshold is left unwritten
    // no further write is due, so the file is not being written while it is read below (bounded, no timing asserted).
    for (let i = 0; i < 500 && expected.length - f.writtenLength >= 16 * 1024; i++) await new Promise((r) => setTimeout(r, 10));
    t.ok(f.writtenLength > 0, `written behind: ${f.writtenLength} of ${expected.length} bytes`);
    t.equal(f.durableLength, 0, 'write-behind does not make anything durable');
    const onDisk = fs.readFileSync(p);
    const tr = parseDioTrailer(onDisk.subarray(onDisk.length - 16));
    t.ok(tr !== null && tr <= expected.length, 'the file still ends in a valid trailer');
    t.ok(onDisk.subarray(0, tr!).equals(expected.subarray(0, tr!)), 'the bytes the trailer covers are the appended ones');
    t.equal(await f.flush(), expected.length, 'flush makes everything durable');
    t.equal(f.writtenLength, expected.length);
    for (let i = 400; i < 500; i++) {
      f.append(record(i));
      expected = Buffer.concat([expected, record(i)]);
    }
    await f.close();
    const g = await open(p);
    t.equal(g.durableLength, expected.length);
    t.ok((await g.read(0, expected.length)).equals(expected), 'reopen reads back every byte, in order');
    await g.close();
    await expectRejectCode(t, open(p, { writeBehindBytes: -1 }), ErrorCode.INVALID_ARG);
  });

  await t.test('large appends across staging chunks; waitWritten bounds what is not yet written', async (t) => {
    const p = path.join(disk, `chunks-${kind}-${seq++}`);
    const f = await open(p, { writeBehindBytes: 1 << 20 });
    const bound = 8 << 20;
    const parts: Buffer[] = [];
    let total = 0;
    // Sizes around and above the 4 MiB chunk, none a block multiple; one record spans three chunks.
    const sizes = [100_003, 3 << 20, 4 << 20, (4 << 20) + 1, 9 * (1 << 20) + 17, 777_777, 2_500_001, 5_000_011, 4095, 65_537];
    let worst = 0;
    for (let i = 0; i < 3 * sizes.length; i++) {
      const r = Buffer.alloc(sizes[i % sizes.length]!, (i * 37 + 11) & 0xff);
      r.writeUInt32LE(i, 0);
      t.equal(f.append(r), total + r.length);
      parts.push(r);
      total += r.length;
      if (f.length - f.writtenLength > bound) {
        await f.waitWritten(bound);
        worst = Math.max(worst, f.length - f.writtenLength);
      }
      if (i % 7 === 3) t.equal(await f.flush(), total);
    }
    t.ok(worst <= bound, `after waitWritten at most ${bound} bytes unwritten (worst ${worst})`);
    const expected = Buffer.concat(parts);
    // Everything written, nothing synced: the file on disk already ends in a trailer covering it all.
    await f.waitWritten(0);
    t.equal(f.writtenLength, total);
    const onDisk = fs.readFileSync(p);
    t.equal(parseDioTrailer(onDisk.subarray(onDisk.length - 16)), total, 'the file ends in a trailer for every written byte');
    t.ok(onDisk.subarray(0, total).equals(expected), 'written bytes on disk are the appended ones, in order');
    t.equal(await f.flush(), total);
    await f.close();
    await expectRejectCode(t, f.waitWritten(0), ErrorCode.DIO_CLOSED);
    const g = await open(p);
    t.equal(g.durableLength, total);
    t.ok((await g.read(0, total)).equals(expected), 'reopen reads back every byte');
    await g.close();
  });

  await t.test('direct: false is honoured and reported', async (t) => {
    const f = await open(path.join(dirs[0]![1], `nodirect-${kind}`), { direct: false });
    t.equal(f.directIo, false);
    t.match(f.reason, kind === 'native' ? /disabled by option/ : /twin/);
    f.append(Buffer.from('x'));
    t.equal(await f.flush(), 1);
    await f.close();
  });

  await t.test('crash-style reopen after SIGKILL', async (t) => {
    const p = path.join(disk, `crash-${kind}`);
    const { lastDurable } = await crashRun(p, kind);
    const f = await open(p);
    t.ok(f.durableLength >= lastDurable, `recovered ${f.durableLength} >= last reported durable ${lastDurable}`);
    const data = await f.read(0, f.durableLength);
    t.equal(data.length, f.durableLength);
    const n = checkRecords(data);
    t.ok(n >= 60 * 7, `${n} intact records, no padding, no torn record`);
    await f.close();
  });

  await t.test('a file written with larger blocks: the new trailer stays last', async (t) => {
    // 64 KiB of file for 11 bytes of data, as a writer with 64 KiB blocks
    // leaves it; appending here must not leave the old trailer at the end.
    const p = path.join(dirs[0]![1], `big-blocks-${kind}`);
    const big = Buffer.alloc(65536);
    Buffer.from('hello world').copy(big);
    const tr = Buffer.alloc(16);
    tr.writeBigUInt64LE(11n, 0);
    tr.writeUInt32LE(0x52544f44, 8);
    tr.writeUInt32LE(crc32cTs(tr.subarray(0, 12)), 12);
    tr.copy(big, 65536 - 16);
    fs.writeFileSync(p, big);
    const f = await open(p);
    t.equal(f.durableLength, 11);
    f.append(Buffer.from('!!'));
    await f.close();
    t.equal(parseDioTrailer(fs.readFileSync(p).subarray(-16)), 13, 'the last trailer is the new one');
    const g = await open(p);
    t.equal(g.durableLength, 13, 'reopen sees the appended bytes');
    t.equal((await g.read(0, 100)).toString(), 'hello world!!');
    await g.close();
  });

  await t.test('bad input and corrupt files', async (t) => {
    const dir = dirs[0]![1];
    await expectRejectCode(t, open(''), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, open(42 as unknown as string), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, open(path.join(dir, 'x'), { dsync: 'yes' as unknown as boolean }), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, open(path.join(dir, 'no-such-dir', 'x')), ErrorCode.DIO);
    await expectRejectCode(t, open(dir), ErrorCode.DIO, 'a directory');
    const junk = path.join(dir, `junk-${kind}`);
    fs.writeFileSync(junk, Buffer.alloc(4096, 1));
    await expectRejectCode(t, open(junk), ErrorCode.DIO_CORRUPT, 'no trailer');
    const f = await open(path.join(dir, `ok-${kind}`));
    t.throws(() => f.append('str' as unknown as Uint8Array), { code: ErrorCode.INVALID_ARG });
    await expectRejectCode(t, f.read(-1, 5), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, f.read(0, 2 ** 40), ErrorCode.INVALID_ARG);
    await f.close();
  });
});

// The fallback when the filesystem refuses O_DIRECT. Linux >= 6.6 tmpfs and
// ext4 accept it, so the refusal comes from OUTRIDER_TEST_DIO_REFUSE_DIRECT
// (read once when the addon loads, hence a child process) at open and at the
// first write, and — where this process may mount — from a real ramfs, which
// answers open(O_DIRECT) with EINVAL.
async function checkFallback(t: Tap, p: string, env: NodeJS.ProcessEnv, reason: RegExp): Promise<void> {
  const { lastDurable, info } = await crashRun(p, 'native', env);
  t.ok(info, 'the writer reported how it writes');
  t.equal(info!.directIo, false, 'directIo is false');
  t.match(info!.reason, reason, `reason: ${info!.reason}`);
  t.match(info!.reason, /buffered writes \+ fdatasync/);
  const f = await openAppendFileNative(p);
  t.ok(f.durableLength >= lastDurable, `recovered ${f.durableLength} >= last reported durable ${lastDurable}`);
  const data = await f.read(0, f.durableLength);
  const n = checkRecords(data);
  t.ok(n >= 60 * 7, `${n} records survived the SIGKILL`);
  t.ok(data.equals(expectedRecords(n)), 'read back byte for byte what was written');
  t.equal(fs.statSync(p).size % f.blockSize, 0, 'whole blocks on disk');
  await f.close();
}

const nativeSkip = nativeStatus().available ? false : `native addon unavailable: ${nativeStatus().reason}`;

t.test('directIoTotals counts the native files\' writes, syncs and waits', { skip: nativeSkip }, async (t) => {
  const before = directIoTotals()!;
  t.ok(before, 'the addon keeps totals');
  const p = path.join(disk, `totals-${seq++}`);
  const f = await openAppendFileNative(p, { writeBehindBytes: 1 << 20 });
  const record = Buffer.alloc(300_001, 7);
  let total = 0;
  for (let i = 0; i < 40; i++) {
    total += record.length;
    f.append(record);
    if (f.length - f.writtenLength > 2 << 20) await f.waitWritten(2 << 20);
  }
  t.equal(await f.flush(), total);
  await f.close();
  const after = directIoTotals()!;
  t.ok(after.writes > before.writes, `writes counted (${after.writes - before.writes})`);
  t.ok(after.writeBytes - before.writeBytes >= total, 'every byte of the file counted, padding and rewritten tail blocks included');
  t.ok(after.syncs >= before.syncs + 1, 'the flush\'s fdatasync counted');
  for (const k of ['writeMs', 'syncMs', 'writerIdleMs', 'waitMs'] as const) t.ok(after[k] >= before[k], `${k} only grows`);
});

t.test('O_DIRECT refused: buffered fallback, SIGKILLed writer', { skip: nativeSkip }, async (t) => {
  await t.test('refused at open (injected)', (t) =>
    checkFallback(t, path.join(disk, 'refuse-open'), { OUTRIDER_TEST_DIO_REFUSE_DIRECT: 'open' }, /refused O_DIRECT \(open: EINVAL\).*\[injected by OUTRIDER_TEST_DIO_REFUSE_DIRECT\]/));
  await t.test('refused at the first write (injected)', (t) =>
    checkFallback(t, path.join(disk, 'refuse-write'), { OUTRIDER_TEST_DIO_REFUSE_DIRECT: 'write' }, /refused an O_DIRECT write \(EINVAL\).*\[injected by OUTRIDER_TEST_DIO_REFUSE_DIRECT\]/));
  await t.test('an unknown injection value changes nothing', async (t) => {
    const { info } = await crashRun(path.join(disk, 'refuse-bogus'), 'native', { OUTRIDER_TEST_DIO_REFUSE_DIRECT: 'bogus' }, 2);
    t.equal(info!.directIo, true, info!.reason);
  });

  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-ramfs-'));
  const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'ramfs', '-o', 'mode=0700', 'outrider-test', mnt]).status === 0;
  t.teardown(() => {
    if (mounted) spawnSync('umount', [mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  });
  await t.test('refused by a real filesystem (ramfs)', { skip: mounted ? false : 'cannot mount ramfs here (needs root with CAP_SYS_ADMIN); the injected refusals above cover the code' }, (t) =>
    checkFallback(t, path.join(mnt, 'ramfs-file'), {}, /^the filesystem refused O_DIRECT \(open: EINVAL\); buffered writes \+ fdatasync$/));
});

// Differential fuzzing of the trailer parsers (the bytes come from disk):
// parseDioTrailer against the documented layout, and native open() against
// the twin's on the same files. Deterministic (seeded), so a failure repeats;
// the coverage-guided run of the C++ side is native/fuzz/dio.
t.test('trailer parsers agree on mutated trailers (seeded)', async (t) => {
  let seed = 0x2545f491;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const reference = (b: Buffer): number | null => {
    if (b.readUInt32LE(8) !== 0x52544f44 || b.readUInt32LE(12) !== crc32cTs(b.subarray(0, 12))) return null;
    const l = b.readBigUInt64LE(0);
    return l > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(l);
  };
  const valid = (len: bigint): Buffer => {
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(len, 0);
    b.writeUInt32LE(0x52544f44, 8);
    b.writeUInt32LE(crc32cTs(b.subarray(0, 12)), 12);
    return b;
  };
  const cases: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    const lens = [0n, 1n, 4080n, BigInt(rand(1 << 20)), 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n];
    const b = valid(lens[rand(lens.length)]!);
    const kind = rand(4);
    if (kind === 1) b[rand(16)]! ^= 1 << rand(8); // one bit flipped
    if (kind === 2) for (let k = 0; k < 16; k++) b[k] = rand(256); // noise
    if (kind === 3) {
      // length changed and the CRC recomputed: a valid trailer with any length
      b.writeUInt32LE(rand(2 ** 32), rand(2) * 4);
      b.writeUInt32LE(crc32cTs(b.subarray(0, 12)), 12);
    }
    cases.push(b);
  }
  let disagreements = 0;
  for (const b of cases) if (parseDioTrailer(b) !== reference(b)) disagreements++;
  t.equal(disagreements, 0, `parseDioTrailer matches the layout on ${cases.length} trailers`);
  t.equal(parseDioTrailer(Buffer.alloc(15)), null, 'wrong size is not a trailer');

  if (!nativeStatus().available) return;
  const dir = dirs[0]![1];
  let compared = 0;
  for (let i = 0; i < 120; i++) {
    // A 4 KiB or 8 KiB file ending in a (mutated) trailer with a small length.
    const size = 4096 * (1 + rand(2));
    const file = Buffer.alloc(size);
    for (let k = 0; k < 64; k++) file[k] = rand(256);
    const tr = i % 3 === 0 ? cases[i]! : valid(BigInt(rand(size + 64)));
    if (i % 3 === 1) tr[rand(16)]! ^= 1 << rand(8);
    tr.copy(file, size - 16);
    const p = path.join(dir, `mutated-${i}`);
    const outcome = async (open: OpenFn): Promise<string> => {
      fs.writeFileSync(p, file);
      try {
        const f = await open(p);
        const n = f.durableLength;
        const data = await f.read(0, n);
        await f.close();
        return `length ${n} ${data.equals(file.subarray(0, n)) ? 'same bytes' : 'different bytes'}`;
      } catch (e) {
        return String((e as { code?: string }).code);
      }
    };
    const native = await outcome(openAppendFileNative);
    const twin = await outcome(openAppendFileTwin);
    if (native !== twin) t.fail(`file ${i}: native ${native}, twin ${twin}`);
    else compared++;
  }
  t.equal(compared, 120, 'native and twin open the same 120 files identically');
});
