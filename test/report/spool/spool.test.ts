import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Codec, encodeFrame, FrameKind } from '../../../agent/wire/frame';
import { Spool, SpoolOptions } from '../../../agent/report/spool/spool';
import { directSegmentIO, fsSegmentIO, SegmentIO } from '../../../agent/report/spool/segment-io';

function tmp(t: { teardown(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-spool-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const frame = (seq: number, size = 100, epoch = 5) => encodeFrame(FrameKind.batch, Codec.none, epoch, seq, Buffer.alloc(size, seq & 0xff));
const opts = (dir: string, o: Partial<SpoolOptions> = {}): SpoolOptions => ({ dir, segmentBytes: 1000, maxBytes: 100_000, policy: 'drop_oldest', writeThrough: false, maxRecordBytes: 1 << 20, ...o });
const ios: SegmentIO[] = [fsSegmentIO, directSegmentIO];
const segs = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.orsp'))
    .sort();

for (const io of ios)
  t.test(`${io.name}: unacknowledged records survive a reopen, in order; acknowledged segments are deleted`, async (t) => {
    const dir = tmp(t);
    const s = new Spool(opts(dir, { io }));
    s.open();
    const refs = [];
    for (let i = 1; i <= 20; i++) {
      const r = await s.append(frame(i), 5, i);
      t.ok(r.ok);
      if (r.ok) refs.push(r.ref);
    }
    await s.flush();
    // Direct-I/O files add zero padding to the block size and a 16-byte trailer after the logical bytes.
    const slack = io.staged ? 4096 + 16 : 0;
    for (const f of segs(dir)) t.ok(fs.statSync(path.join(dir, f)).size <= 1000 + slack, `${f} within the segment limit`);
    for (const r of refs.slice(0, 10)) s.ack(r);
    await s.close();
    const s2 = new Spool(opts(dir, { io }));
    const { records, maxEpoch } = s2.open();
    t.equal(maxEpoch, 5);
    t.same(
      records.map((r) => r.seq),
      [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
      'acknowledged records are not replayed, even beside unacknowledged ones in their segment (the marks are kept on disk)',
    );
    t.same(s2.read(records.at(-1)!), frame(20), 'the record is the frame, byte for byte');
    for (const r of records) s2.ack(r);
    await s2.close();
    t.ok(segs(dir).length <= 1, 'fully acknowledged segments are gone');
    t.same(
      fs
        .readdirSync(dir)
        .filter((n) => n.endsWith('.acks'))
        .map((n) => n.replace('.acks', '.orsp'))
        .filter((n) => !segs(dir).includes(n)),
      [],
      'their marks went with them',
    );
  });

t.test('a torn tail is truncated and counted, never replayed', async (t) => {
  const dir = tmp(t);
  const s = new Spool(opts(dir, { segmentBytes: 100_000 }));
  s.open();
  for (let i = 1; i <= 3; i++) await s.append(frame(i), 5, i);
  await s.close();
  const f = path.join(dir, segs(dir)[0]!);
  const full = fs.readFileSync(f);
  fs.writeFileSync(f, full.subarray(0, full.length - 30)); // cut into record 3
  const s2 = new Spool(opts(dir, { segmentBytes: 100_000 }));
  const { records } = s2.open();
  t.same(
    records.map((r) => r.seq),
    [1, 2],
  );
  t.equal(s2.stats.tornRecords, 1);
  t.equal(fs.statSync(f).size, 2 * frame(1).length, 'truncated to the last intact record');
  await s2.append(frame(4), 5, 4);
  await s2.close();
  const s3 = new Spool(opts(dir, { segmentBytes: 100_000 }));
  t.same(
    s3.open().records.map((r) => r.seq),
    [1, 2, 4],
  );
  t.equal(s3.stats.tornRecords, 0);
});

t.test('a corrupt record in the middle is skipped and counted; the scan moves on', async (t) => {
  const dir = tmp(t);
  const s = new Spool(opts(dir, { segmentBytes: 100_000 }));
  s.open();
  for (let i = 1; i <= 5; i++) await s.append(frame(i), 5, i);
  await s.close();
  const f = path.join(dir, segs(dir)[0]!);
  const buf = fs.readFileSync(f);
  const len = frame(1).length;
  buf[2 * len + 60] ^= 0xff; // payload byte of record 3
  buf[3 * len + 9] = 0xff; // length field of record 4: absurd
  fs.writeFileSync(f, buf);
  const s2 = new Spool(opts(dir, { segmentBytes: 100_000 }));
  const { records } = s2.open();
  t.same(
    records.map((r) => r.seq),
    [1, 2, 5],
  );
  t.equal(s2.stats.corruptRecords, 2);
  t.equal(s2.stats.tornRecords, 0);
});

t.test('garbage-only segment: no loop, nothing replayed', async (t) => {
  const dir = tmp(t);
  fs.writeFileSync(path.join(dir, 'seg-0000000000000001.orsp'), Buffer.alloc(200_000, 0x4f));
  const s = new Spool(opts(dir));
  const { records } = s.open();
  t.same(records, []);
  t.equal(s.stats.tornRecords, 1);
});

for (const io of ios)
  t.test(`${io.name}: full spool: drop_oldest deletes the oldest segment and counts its records; stop_accepting refuses`, async (t) => {
    const dir = tmp(t);
    const len = frame(1).length;
    const s = new Spool(opts(dir, { segmentBytes: len * 2, maxBytes: len * 6, io }));
    s.open();
    for (let i = 1; i <= 6; i++) t.ok((await s.append(frame(i), 5, i)).ok);
    const r = await s.append(frame(7), 5, 7);
    t.ok(r.ok);
    t.equal(s.stats.droppedOldest, 2, 'the two records of the oldest segment');
    t.ok(s.bytes <= len * 6);
    await s.close();

    const dir2 = tmp(t);
    const s2 = new Spool(opts(dir2, { segmentBytes: len * 2, maxBytes: len * 6, policy: 'stop_accepting', io }));
    s2.open();
    for (let i = 1; i <= 6; i++) await s2.append(frame(i), 5, i);
    t.same(await s2.append(frame(7), 5, 7), { ok: false, reason: 'full' });
    t.equal(s2.stats.refusedFull, 1);
    await s2.close();
  });

t.test('an unwritable directory is an error the caller sees, not a crash', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'not-a-dir');
  fs.writeFileSync(file, 'x');
  const s = new Spool(opts(path.join(file, 'spool')));
  t.throws(() => s.open(), { code: 'ENOTDIR' });
});

t.test('quarantine keeps a copy and acknowledges', async (t) => {
  const dir = tmp(t);
  const s = new Spool(opts(dir));
  s.open();
  const r = await s.append(frame(1), 5, 1);
  if (!r.ok) return t.fail('append');
  s.quarantine(r.ref, 'HTTP 400');
  t.equal(s.backlog, 0);
  t.ok(fs.existsSync(path.join(dir, 'quarantine', 'e5-s1.orsp')));
  await s.close();
});

t.test('direct: what flush() made durable is found by a new process without any close (kill -9)', async (t) => {
  const dir = tmp(t);
  const s = new Spool(opts(dir, { io: directSegmentIO, segmentBytes: 100_000 }));
  s.open();
  for (let i = 1; i <= 5; i++) await s.append(frame(i), 5, i);
  t.ok(await s.flush());
  await s.append(frame(6), 5, 6); // staged only: not promised to survive
  const s2 = new Spool(opts(dir, { io: directSegmentIO, segmentBytes: 100_000 }));
  const { records } = s2.open();
  t.same(records.map((r) => r.seq).slice(0, 5), [1, 2, 3, 4, 5]);
  t.same(s2.read(records[4]!), frame(5));
  t.equal(s2.stats.corruptRecords, 0);
  await s.close();
});

t.test('a new segment is entered in its directory off the event loop, and flush() waits for that', async (t) => {
  const calls: string[] = [];
  let release: () => void = () => undefined;
  // Absolute paths of the compiled modules (the test runs from dist/).
  const { Spool: MockedSpool } = t.mockRequire(require.resolve('../../../agent/report/spool/spool'), {
    [require.resolve('../../../agent/core/fs-sync')]: {
      syncDir: () => void calls.push('sync'),
      syncDirAsync: () => {
        calls.push('async');
        return new Promise<void>((r) => (release = r));
      },
    },
  }) as typeof import('../../../agent/report/spool/spool');
  const dir = tmp(t);
  const s = new MockedSpool(opts(dir));
  s.open();
  calls.length = 0;
  t.ok((await s.append(frame(1, 600), 5, 1)).ok);
  t.same(calls, ['async'], 'opening a segment: the directory sync runs in the background, not on the JS thread');
  let flushed = false;
  const f = s.flush().then((ok) => (flushed = ok));
  await new Promise((r) => setTimeout(r, 20));
  t.notOk(flushed, 'flush() has not resolved while the directory entry is not durable');
  release();
  await f;
  t.ok(flushed, 'flush() resolves once it is');
  await s.close();
});

t.test('direct: an append that outruns the disk waits for the writer; what is staged unwritten stays bounded', async (t) => {
  const dir = tmp(t);
  const file = await directSegmentIO.openAppend(path.join(dir, 'seg-bound.orsp'));
  const rec = Buffer.alloc(1 << 20, 7);
  let waited = 0;
  for (let i = 0; i < 40; i++) {
    file.append(rec);
    const d = file.drain?.();
    if (d) {
      waited++;
      await d;
      t.equal(file.drain?.(), undefined, 'after waiting, no more than the bound is unwritten');
    }
  }
  // How many waited depends on the disk's speed against the appends (test/native/direct-io.test.ts checks the bound).
  t.comment(`${waited} of 40 appends of 1 MiB waited for the writer`);
  await file.flush();
  t.equal(
    fs
      .readFileSync(path.join(dir, 'seg-bound.orsp'))
      .subarray(0, 40 << 20)
      .equals(Buffer.alloc(40 << 20, 7)),
    true,
  );
  await file.close();

  // The spool awaits the drain inside append: records appended well past the bound all read back.
  const s = new Spool(opts(dir, { io: directSegmentIO, segmentBytes: 64 << 20, maxBytes: 1 << 30, maxRecordBytes: 4 << 20 }));
  s.open();
  const refs = [];
  for (let i = 1; i <= 24; i++) {
    const r = await s.append(frame(i, (1 << 20) + i), 5, i);
    if (!r.ok) throw new Error(r.reason);
    refs.push(r.ref);
  }
  t.ok(await s.flush());
  for (const [i, ref] of refs.entries()) t.ok(s.read(ref).equals(frame(i + 1, (1 << 20) + i + 1)), `record ${i + 1} reads back`);
  await s.close();
});
