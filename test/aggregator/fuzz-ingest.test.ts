/**
 * Property tests of the aggregator's batch decoding and ingest with fast-check: random bytes, and valid batches
 * mutated (bytes flipped, cut, inserted), never throw past the handler and never decode past the bounds. Brief in
 * the suite; `npm run fuzz:aggregator` runs them long (OUTRIDER_FUZZ_RUNS per property, default 300 here).
 */
import fc from 'fast-check';
import t from 'tap';
import { Ingest } from '../../agent/aggregator/ingest';
import { Merger } from '../../agent/aggregator/merge';
import { StateStore } from '../../agent/aggregator/state';
import { Store } from '../../agent/store/store';
import { compressSync } from '../../agent/wire/codec';
import { Codec, encodeFrame, FrameKind, splitFrames } from '../../agent/wire/frame';
import { BatchPayload, decodePayload, encodePayload, PayloadError, PayloadLimits } from '../../agent/wire/payload';
import { tmpDir } from './helpers';

const RUNS = Number(process.env.OUTRIDER_FUZZ_RUNS ?? 300);
const LIMITS: PayloadLimits = { maxElements: 2000, maxStringBytes: 4096, maxDepth: 8, labelLimit: 4, labelNameLengthLimit: 16, labelValueLengthLimit: 32 };

const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -1, 2 ** 53));
const str = fc.string({ maxLength: 40 });
const labels = fc.array(str, { maxLength: 10 }).map((a) => (a.length % 2 ? a.slice(1) : a));
const batch: fc.Arbitrary<BatchPayload> = fc.record({
  agentId: fc.constantFrom('a1', 'a2', 'a3'),
  sentMs: num,
  meta: fc.record({ version: str, backlog_bytes: num }),
  families: fc.array(
    fc.record({ fid: fc.integer({ min: 0, max: 5 }), name: str, type: fc.constantFrom('counter', 'gauge', 'summary', 'histogram', 'untyped') as fc.Arbitrary<'counter'>, help: str }),
    { maxLength: 4 },
  ),
  series: fc.array(fc.record({ sid: fc.integer({ min: 0, max: 20 }), fid: fc.integer({ min: 0, max: 5 }), labels }), { maxLength: 8 }),
  scalars: fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), num), { maxLength: 20 }).map((a) => a.flat()),
  dists: fc.array(
    fc.record({
      sid: fc.integer({ min: 0, max: 20 }),
      count: num,
      sum: num,
      buckets: fc.option(fc.array(num, { maxLength: 8 }).map((a) => (a.length % 2 ? a.slice(1) : a))),
      quantiles: fc.constant(null),
      sketch: fc.option(fc.record({ a: fc.constantFrom(0.01, 2), n: num, s: num, min: num, max: num, z: num, p: fc.array(fc.tuple(fc.integer(), num), { maxLength: 3 }), m: fc.constant([]) })),
    }),
    { maxLength: 4 },
  ),
});

/** A mutation of a byte string: flips, cuts, insertions, or several. */
const mutation = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

function mutate(b: Buffer, ms: Array<{ op: string; at: number; bits?: number; bytes?: Uint8Array }>): Buffer {
  let out = Buffer.from(b);
  for (const m of ms) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.op === 'flip' && out.length > 0) out[at] ^= m.bits!;
    else if (m.op === 'cut') out = out.subarray(0, at);
    else if (m.op === 'insert') out = Buffer.concat([out.subarray(0, at), m.bytes!, out.subarray(at)]);
  }
  return out;
}

/** Values in a decoded document (arrays and maps counted by their entries), as the scanner counts them. */
function values(v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce((n: number, x) => n + values(x), 0);
  if (v !== null && typeof v === 'object') return 1 + Object.entries(v).reduce((n, [, x]) => n + 1 + values(x), 0);
  return 1;
}

function decodeOnly(b: Buffer): BatchPayload | undefined {
  try {
    return decodePayload(b, LIMITS);
  } catch (err) {
    if (!(err instanceof PayloadError)) throw err;
    return undefined;
  }
}

let executions = 0;

t.test('random bytes: decodePayload refuses with a PayloadError or decodes within the bounds', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      executions++;
      const p = decodeOnly(Buffer.from(bytes));
      if (p) return values(p.series) + values(p.scalars) <= LIMITS.maxElements;
      return true;
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.test('mutated valid batches: decodePayload refuses with a PayloadError or decodes within the bounds', async (t) => {
  fc.assert(
    fc.property(batch, mutation, (p, ms) => {
      executions++;
      const d = decodeOnly(mutate(encodePayload(p), ms));
      if (!d) return true;
      for (const s of d.series) if (s.labels.length / 2 > LIMITS.labelLimit || s.labels.some((x, i) => x.length > (i % 2 ? LIMITS.labelValueLengthLimit : LIMITS.labelNameLengthLimit))) return false;
      return values(d.scalars) <= LIMITS.maxElements;
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.test('ingest: valid, mutated and re-framed batches never throw, answer a known status and keep the state bounded', async (t) => {
  const state = new StateStore(tmpDir(t), 1);
  state.open();
  t.teardown(() => state.close());
  const merger = new Merger(new Store({ staleAfterMs: 3600_000, maxSeries: 10_000 }));
  const nop = { inc: () => undefined };
  const ingest = new Ingest(state, merger, {
    maxDecompressedBytes: 1 << 20,
    maxCompressionRatio: 256,
    maxAgents: 3,
    maxSeries: 50,
    maxSequenceJump: 1000,
    maxEpochAheadMs: 86_400_000,
    limits: LIMITS,
    storeWrites: 'immediate',
    samples: nop,
    skipped: nop,
    refusedSamples: nop,
  });
  const codec = fc.constantFrom(Codec.none, Codec.gzip, Codec.deflate, Codec.brotli);
  fc.assert(
    fc.property(batch, mutation, fc.boolean(), codec, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2000 }), (p, ms, mutateFrame, c, epoch, seq) => {
      executions++;
      let body = encodeFrame(seq % 7 === 0 ? FrameKind.defs : FrameKind.batch, c, epoch, seq, compressSync(c, encodePayload(p)));
      if (mutateFrame) body = mutate(body, ms);
      const frames = splitFrames(body);
      if (!frames.ok) return true;
      for (const f of frames.frames) {
        const r = ingest.apply(f);
        if (!r.ok && ![400, 403, 409, 413, 429].includes(r.http)) return false;
      }
      merger.flushStore();
      return state.series.size <= 50 && state.agents.size <= 3;
    }),
    { numRuns: RUNS },
  );
  t.pass('held');
});

t.teardown(() => {
  t.comment(`fuzz executions: ${executions}`);
});
