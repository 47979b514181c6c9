/**
 * Property tests of the spool's recovery with fast-check: segment files written by the spool's frame format, then
 * damaged (bytes flipped, cut, inserted, a torn tail, a garbage acknowledgement or epoch file, a fake direct-I/O
 * trailer), are scanned and opened. The scan never throws and never reports a record that is not an intact frame
 * inside the file; an undamaged file gives back exactly what was written, and a cut one exactly the whole records
 * before the cut; opening the spool never throws, every record it offers reads back intact, and a second open
 * offers the same. Brief in the suite; `npm run fuzz:spool` runs them long (OUTRIDER_FUZZ_RUNS per property).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { scanSegment } from '../../../agent/report/spool/scan';
import { Spool } from '../../../agent/report/spool/spool';
import { checkCrc, Codec, encodeFrame, FRAME_HEADER_BYTES, FrameKind, parseHeader } from '../../../agent/wire/frame';

const RUNS = Number(process.env.OUTRIDER_FUZZ_RUNS ?? 150);
const MAX_RECORD = 4096;
const MAGIC = Buffer.from('ORB1', 'latin1');

interface Rec {
  kind: FrameKind;
  epoch: number;
  seq: number;
  payload: Uint8Array;
}

const rec: fc.Arbitrary<Rec> = fc.record({
  kind: fc.constantFrom(FrameKind.batch, FrameKind.batch, FrameKind.defs),
  epoch: fc.integer({ min: 1, max: 2 ** 40 }),
  seq: fc.integer({ min: 0, max: 2 ** 40 }),
  // Payloads that do not hold the magic: a frame nested in a payload is indistinguishable from a real one.
  payload: fc.uint8Array({ maxLength: 300 }).filter((p) => Buffer.from(p).indexOf(MAGIC) < 0),
});

const mutation = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 48 }) }),
  ),
  { maxLength: 4 },
);

function mutate(b: Buffer, ms: ReadonlyArray<{ op: string; at: number; bits?: number; bytes?: Uint8Array }>): Buffer {
  let out = Buffer.from(b);
  for (const m of ms) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.op === 'flip' && out.length > 0) out[at] ^= m.bits!;
    else if (m.op === 'cut') out = out.subarray(0, at);
    else if (m.op === 'insert') out = Buffer.concat([out.subarray(0, at), m.bytes!, out.subarray(at)]);
  }
  return out;
}

const encode = (r: Rec) => encodeFrame(r.kind, Codec.none, r.epoch, r.seq, r.payload);

const dirs: string[] = [];
t.teardown(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function freshDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-fuzz-spool-'));
  dirs.push(d);
  return d;
}

/** Whether the bytes at `offset` of `file` are one intact frame of `length` bytes. */
function intactAt(file: Buffer, offset: number, length: number): boolean {
  const h = parseHeader(file, offset);
  return h.ok && FRAME_HEADER_BYTES + h.header.length === length && offset + length <= file.length && checkCrc(file, offset, h.header);
}

t.test('the segment scan: only intact records, in order, inside the file; what was written comes back', async (t) => {
  const dir = freshDir();
  const file = path.join(dir, 'seg-0000000000000001.orsp');
  let n = 0;
  fc.assert(
    fc.property(fc.array(rec, { maxLength: 12 }), mutation, fc.option(fc.nat()), (recs, ms, cutAt) => {
      const frames = recs.map(encode);
      const whole = Buffer.concat(frames);
      const cut = cutAt === null || whole.length === 0 ? whole.length : cutAt % (whole.length + 1);
      const bytes = mutate(whole.subarray(0, cut), ms);
      fs.writeFileSync(file, bytes);
      const s = scanSegment(file, MAX_RECORD);
      n++;
      let end = 0;
      for (const r of s.records) {
        if (r.offset < end) throw new Error(`record at ${r.offset} overlaps the one before`);
        if (r.length > MAX_RECORD) throw new Error(`record of ${r.length} bytes, past the limit`);
        if (!intactAt(bytes, r.offset, r.length)) throw new Error(`record at ${r.offset} is not an intact frame`);
        end = r.offset + r.length;
      }
      if (end > s.goodEnd || s.goodEnd > s.fileSize || s.fileSize !== bytes.length) throw new Error(`ends out of order: ${end} ${s.goodEnd} ${s.fileSize}`);
      if (ms.length === 0) {
        // Undamaged but for the cut: exactly the whole records before it; torn when the cut is inside one.
        let at = 0;
        const want: number[] = [];
        for (const f of frames) {
          if (at + f.length > cut) break;
          want.push(at);
          at += f.length;
        }
        const got = s.records.map((r) => r.offset);
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`records at ${String(got)}, written at ${String(want)}`);
        if (s.corrupt !== 0 || s.torn !== (at !== cut) || s.goodEnd !== at) throw new Error(`corrupt ${s.corrupt}, torn ${s.torn}, good end ${s.goodEnd} after a cut at ${cut}`);
        for (const [i, r] of s.records.entries()) {
          const w = recs[i]!;
          if (r.header.epoch !== w.epoch || r.header.seq !== w.seq || r.header.kind !== w.kind) throw new Error(`record ${i} reads back as another`);
        }
      }
    }),
    { numRuns: RUNS },
  );
  t.ok(n >= RUNS, `${n} segments scanned`);
});

t.test('opening a damaged spool: never throws, every record offered reads back intact, a second open offers the same', async (t) => {
  let n = 0;
  const segment = fc.record({ recs: fc.array(rec, { maxLength: 8 }), ms: mutation, trailer: fc.boolean() });
  fc.assert(
    fc.property(fc.array(segment, { minLength: 1, maxLength: 3 }), fc.option(fc.uint8Array({ maxLength: 70 })), fc.option(fc.string({ maxLength: 24 })), (segs, acks, epoch) => {
      const dir = freshDir();
      for (const [i, sg] of segs.entries()) {
        let bytes = mutate(Buffer.concat(sg.recs.map(encode)), sg.ms);
        // A fake direct-I/O tail: padded to 512 bytes with a trailer of random-looking bytes.
        if (sg.trailer) bytes = Buffer.concat([bytes, Buffer.alloc(512 - (bytes.length % 512), 0x5a)]);
        const name = path.join(dir, `seg-${String(i + 1).padStart(16, '0')}`);
        fs.writeFileSync(name + '.orsp', bytes);
        if (acks && i === 0) fs.writeFileSync(name + '.acks', acks);
      }
      if (epoch !== null) fs.writeFileSync(path.join(dir, 'epoch'), epoch);
      const first = new Spool({ dir, segmentBytes: 2048, maxBytes: 1 << 20, policy: 'drop_oldest', writeThrough: false, maxRecordBytes: MAX_RECORD });
      const opened = first.open();
      n++;
      if (!Number.isSafeInteger(opened.maxEpoch) || opened.maxEpoch < 0) throw new Error(`max epoch ${opened.maxEpoch}`);
      for (const r of opened.records) {
        const b = first.read(r);
        if (!intactAt(b, 0, r.length)) throw new Error(`record at ${r.offset} of ${r.segment.path} is not intact`);
        const h = parseHeader(b);
        if (!h.ok || h.header.epoch !== r.epoch || h.header.seq !== r.seq) throw new Error('record reads back as another');
      }
      const again = new Spool({ dir, segmentBytes: 2048, maxBytes: 1 << 20, policy: 'drop_oldest', writeThrough: false, maxRecordBytes: MAX_RECORD }).open();
      const key = (rs: typeof opened.records) => rs.map((r) => `${path.basename(r.segment.path)}@${r.offset}:${r.epoch}:${r.seq}`).join(' ');
      if (key(again.records) !== key(opened.records)) throw new Error(`second open differs: ${key(again.records)} / ${key(opened.records)}`);
    }),
    { numRuns: RUNS },
  );
  t.ok(n >= RUNS, `${n} spools opened`);
});
