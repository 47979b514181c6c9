/**
 * Property tests of the remote write receiving side (snappy, then the 1.0 or 2.0 protobuf decoder) with fast-check:
 * series written by the agent's own remote write encoders (1.0 and 2.0) and compressed by this tree's snappy and by
 * snappyjs come back exactly (labels, values with staleness markers, timestamps, 2.0 metadata); any bytes, compressed
 * or not, and mutated valid bodies throw only what the receiver answers 400 for (RemoteWriteDecodeError or a snappy
 * corruption error), decode to no more series and samples than the body has bytes, and allocate at most what the
 * body can decompress to. Brief in the suite; `npm run fuzz:remote-write` runs them long (OUTRIDER_FUZZ_RUNS per
 * property).
 */
import fc from 'fast-check';
import { compress as snappyjsCompress } from 'snappyjs';
import t from 'tap';
import { decodeRequestV2, decodeWriteRequestV1, DecodedSeries, RemoteWriteDecodeError } from '../../../agent/collectors/remote-write-receive/decode';
import { isOutriderError } from '../../../agent/core/errors';
import { snappyCompressTs, snappyUncompressTs } from '../../../agent/native/snappy';
import { encodeWriteRequest, RwSeries } from '../../../agent/report/remote-write/protobuf';
import { encodeRequestV2 } from '../../../agent/report/remote-write/protobuf-v2';
import { FuzzTally, RUNS } from '../../helpers/fuzz';

/** The receiver's limit on a decoded body for a 1 MiB request (16 × the body limit, at most 256 MiB). */
const MAX_DECODED = 16 << 20;
/** Snappy's largest expansion: a 3-byte copy writes 64 bytes. */
const MAX_EXPANSION = 64 / 3;

const str = fc.string({ maxLength: 10, unit: 'grapheme' });
const series: fc.Arbitrary<RwSeries> = fc.record(
  {
    labels: fc.uniqueArray(fc.tuple(str, str), { maxLength: 4, selector: ([k]) => k }).map((ls) => ls.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    samples: fc.array(fc.tuple(fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0)), fc.maxSafeNat()), { maxLength: 3 }),
    meta: fc.option(fc.record({ type: fc.constantFrom('counter' as const, 'gauge' as const, 'histogram' as const, 'summary' as const), help: str }), { nil: undefined }),
    stale: fc.option(fc.constant(true), { nil: undefined }),
  },
  { requiredKeys: ['labels', 'samples'] },
);

function check(want: RwSeries[], got: DecodedSeries[], v2: boolean): void {
  if (got.length !== want.length) throw new Error(`${got.length} series for ${want.length}`);
  for (const [i, w] of want.entries()) {
    const g = got[i]!;
    if (JSON.stringify(g.labels) !== JSON.stringify(w.labels)) throw new Error(`series ${i} labels ${JSON.stringify(g.labels)} for ${JSON.stringify(w.labels)}`);
    if (g.samples.length !== w.samples.length) throw new Error(`series ${i}: ${g.samples.length} samples for ${w.samples.length}`);
    for (const [j, [v, ts]] of w.samples.entries()) {
      const [gv, gts, stale] = g.samples[j]!;
      const ok = w.stale ? Number.isNaN(gv) && stale === 1 : Object.is(gv, v) && stale === 0;
      if (!ok || gts !== ts) throw new Error(`series ${i} sample ${j}: ${String(g.samples[j])} for ${v},${ts} stale ${w.stale}`);
    }
    const wantType = v2 ? w.meta?.type : undefined;
    const wantHelp = v2 && w.meta?.help ? w.meta.help : undefined;
    if (g.type !== wantType || g.help !== wantHelp) throw new Error(`series ${i}: type ${g.type} help ${g.help} for ${wantType} ${wantHelp}`);
  }
}

/** Snappy, then the decoder: returns the series, or undefined for a body the receiver refuses with 400. */
function receive(body: Buffer, v2: boolean): DecodedSeries[] | undefined {
  try {
    const raw = snappyUncompressTs(body, MAX_DECODED);
    if (raw.length > MAX_DECODED) throw new Error(`${raw.length} bytes decoded over the ${MAX_DECODED} limit`);
    return v2 ? decodeRequestV2(raw) : decodeWriteRequestV1(raw);
  } catch (err) {
    // What the receiver answers 400 for; anything else would escape its handler.
    if (err instanceof RemoteWriteDecodeError || (isOutriderError(err) && /snappy/.test(err.message))) return undefined;
    throw err;
  }
}

function decodeRaw(raw: Buffer, v2: boolean): DecodedSeries[] | undefined {
  try {
    return v2 ? decodeRequestV2(raw) : decodeWriteRequestV1(raw);
  } catch (err) {
    if (err instanceof RemoteWriteDecodeError) return undefined;
    throw err;
  }
}

/** Every series and every sample costs the body at least one byte, so neither outnumbers the bytes. */
function checkBounded(raw: number, got: DecodedSeries[] | undefined): void {
  if (!got) return;
  let samples = 0;
  for (const s of got) samples += s.samples.length + s.labels.length;
  if (got.length > raw || samples > raw) throw new Error(`${got.length} series, ${samples} samples and labels from ${raw} bytes`);
}

t.test('series written by the remote write encoders and compressed by either snappy come back exactly, 1.0 and 2.0', async (t) => {
  const tally = new FuzzTally();
  fc.assert(
    fc.property(fc.array(series, { maxLength: 5 }), fc.boolean(), (ss, foreign) => {
      for (const v2 of [false, true]) {
        const raw = v2 ? encodeRequestV2(ss) : encodeWriteRequest(ss);
        const body = foreign ? Buffer.from(snappyjsCompress(new Uint8Array(raw))) : snappyCompressTs(raw);
        const got = tally.run(() => receive(body, v2));
        if (!got) throw new Error(`a valid ${v2 ? '2.0' : '1.0'} body was refused`);
        check(ss, got, v2);
      }
    }),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('bodies'));
});

const edit = fc.record({ at: fc.nat(), byte: fc.nat(255) });
const mutate = (b: Buffer, edits: Array<{ at: number; byte: number }>, cut: number): Buffer => {
  const out = Buffer.from(b);
  for (const e of edits) if (out.length) out[e.at % out.length] = e.byte;
  return cut % 3 === 0 ? out.subarray(0, cut % (out.length + 1)) : out;
};

t.test('any bytes and mutated bodies are a 400 or series bounded by the body, and snappy allocates no more than the body can hold', async (t) => {
  const tally = new FuzzTally();
  const valid = fc.tuple(fc.array(series, { maxLength: 4 }), fc.boolean());
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    // A snappy length preamble (up to the limit and past it) before anything.
    fc.tuple(fc.integer({ min: 0, max: 2 * MAX_DECODED }), fc.uint8Array({ maxLength: 40 })).map(([n, rest]) => {
      const pre: number[] = [];
      for (let v = n; ; v = Math.floor(v / 128)) {
        if (v < 128) {
          pre.push(v);
          break;
        }
        pre.push((v & 0x7f) | 0x80);
      }
      return Buffer.concat([Buffer.from(pre), rest]);
    }),
    // A valid body mutated after compression, or compressed after its protobuf was mutated.
    fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 }), fc.nat(), fc.boolean()).map(([[ss, v2], edits, cut, before]) => {
      const raw = v2 ? encodeRequestV2(ss) : encodeWriteRequest(ss);
      return before ? snappyCompressTs(mutate(raw, edits, cut)) : mutate(snappyCompressTs(raw), edits, cut);
    }),
  );
  fc.assert(
    fc.property(body, fc.boolean(), (b, v2) => {
      const before = process.memoryUsage().arrayBuffers;
      const got = tally.run(() => receive(b, v2));
      const grew = process.memoryUsage().arrayBuffers - before;
      if (grew > b.length * MAX_EXPANSION + (1 << 20)) throw new Error(`${grew} bytes allocated for a ${b.length}-byte body`);
      checkBounded(b.length * MAX_EXPANSION, got);
    }),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('bodies'));
});

t.test('any protobuf bytes and mutated requests decode to series bounded by their bytes or throw RemoteWriteDecodeError', async (t) => {
  const tally = new FuzzTally();
  const raw = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc
      .tuple(fc.array(series, { maxLength: 4 }), fc.boolean(), fc.array(edit, { minLength: 1, maxLength: 4 }), fc.nat())
      .map(([ss, v2, edits, cut]) => mutate(v2 ? encodeRequestV2(ss) : encodeWriteRequest(ss), edits, cut)),
  );
  fc.assert(
    fc.property(raw, (b) => {
      for (const v2 of [false, true])
        checkBounded(
          b.length,
          tally.run(() => decodeRaw(b, v2)),
        );
    }),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('decodes'));
});

t.test('a few bytes declaring a large decoded length are refused before the output is allocated', async (t) => {
  // Before, a 4-byte body declaring 128 MiB made the decoder allocate (and zero) 128 MiB before finding it empty.
  const body = Buffer.from([0x80, 0x80, 0x80, 0x40]);
  const before = process.memoryUsage().arrayBuffers;
  t.throws(() => snappyUncompressTs(body, 256 << 20), /snappy/);
  t.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, `${process.memoryUsage().arrayBuffers - before} bytes allocated`);
  // The largest expansion a body can really have still decodes: 3-byte copies of 64 bytes after one literal byte.
  const n = 64 * 1000 + 1;
  const copies = Buffer.alloc(3 * 1000);
  for (let i = 0; i < 1000; i++) copies.set([2 | (63 << 2), 1, 0], 3 * i);
  const pre: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      pre.push(v);
      break;
    }
    pre.push((v & 0x7f) | 0x80);
  }
  const dense = Buffer.concat([Buffer.from(pre), Buffer.from([0, 0x61]), copies]);
  t.same(snappyUncompressTs(dense, 256 << 20), Buffer.alloc(n, 0x61));
});
