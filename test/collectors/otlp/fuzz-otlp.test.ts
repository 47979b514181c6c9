/**
 * Property tests of the OTLP metrics decoders (protobuf and JSON) and the translation behind them, with fast-check: a
 * valid request of every metric kind, written by the encoders below, decodes to exactly the model it was written
 * from in both encodings; any bytes, any JSON and mutated valid requests never throw anything but OtlpDecodeError;
 * whatever decodes, fed twice through the translator into a bounded store (so streams meet their previous points),
 * never throws and never leaves more series than the store's limit. Brief in the suite; `npm run fuzz:otlp` runs them
 * long (OUTRIDER_FUZZ_RUNS per property).
 */
import fc from 'fast-check';
import t from 'tap';
import { decodeMetricsRequestJson } from '../../../agent/collectors/otlp/decode-json';
import { decodeMetricsRequest } from '../../../agent/collectors/otlp/decode-proto';
import { DeltaTable } from '../../../agent/collectors/otlp/delta';
import { ExpBuckets, OtlpMetric, ResourceMetrics } from '../../../agent/collectors/otlp/model';
import { prometheusName } from '../../../agent/collectors/otlp/names';
import { OtlpTranslator } from '../../../agent/collectors/otlp/translate';
import { Store } from '../../../agent/store/store';
import { expectCoded, FuzzTally, RUNS } from '../../helpers/fuzz';
import { encodeJson, encodeProto } from './otlp-encode';

const MALFORMED = 'OUTRIDER_ERR_OTLP_MALFORMED';

// -0 is left out: the JSON encoding writes it as 0.
const dbl = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0.5, 1e300)).map((v) => (Object.is(v, -0) ? 0 : v));
const u53 = fc.maxSafeNat();
// Nanoseconds below 2^40, so that ms × 1e6 rounds back to the same integer.
const ns = fc.maxSafeNat().map((n) => n % 2 ** 40);
const str = fc.string({ maxLength: 10, unit: 'grapheme' });
const attrs = fc.array(fc.tuple(str, str), { maxLength: 3 });
const common = { attrs, startMs: ns.map((n) => n / 1e6), timeMs: ns.map((n) => n / 1e6), flags: fc.nat(3) };
const numberPoint = fc.record({ ...common, value: dbl, hasValue: fc.constant(true) });
const expBuckets: fc.Arbitrary<ExpBuckets> = fc.record({ offset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 8 }), counts: fc.array(u53, { maxLength: 6 }) });
const metric: fc.Arbitrary<OtlpMetric> = fc
  .record({ name: str, description: str, unit: str, temporality: fc.constantFrom(0, 1, 2), monotonic: fc.boolean() })
  .chain(({ name, description, unit, temporality, monotonic }) => {
    const base = { name, description, unit };
    return fc.oneof(
      fc.record({ kind: fc.constant('gauge' as const), points: fc.array(numberPoint, { maxLength: 3 }) }).map((m) => ({ ...base, ...m })),
      fc.record({ kind: fc.constant('sum' as const), points: fc.array(numberPoint, { maxLength: 3 }) }).map((m) => ({ ...base, temporality, monotonic, ...m })),
      fc
        .record({
          kind: fc.constant('histogram' as const),
          points: fc.array(fc.record({ ...common, count: u53, sum: dbl, bucketCounts: fc.array(u53, { maxLength: 4 }), bounds: fc.array(dbl, { maxLength: 3 }) }), { maxLength: 3 }),
        })
        .map((m) => ({ ...base, temporality, ...m })),
      fc
        .record({
          kind: fc.constant('exponential_histogram' as const),
          points: fc.array(fc.record({ ...common, count: u53, sum: dbl, scale: fc.integer({ min: -20, max: 30 }), zeroCount: u53, positive: expBuckets, negative: expBuckets }), { maxLength: 3 }),
        })
        .map((m) => ({ ...base, temporality, ...m })),
      fc
        .record({
          kind: fc.constant('summary' as const),
          points: fc.array(fc.record({ ...common, count: u53, sum: dbl, quantiles: fc.array(fc.tuple(dbl, dbl), { maxLength: 3 }) }), { maxLength: 3 }),
        })
        .map((m) => ({ ...base, ...m })),
    );
  });
const request: fc.Arbitrary<ResourceMetrics[]> = fc.array(
  fc.record({ attrs, scopes: fc.array(fc.record({ name: str, version: str, metrics: fc.array(metric, { maxLength: 3 }) }), { maxLength: 2 }) }),
  { maxLength: 3 },
);

/** A comparable text of a decoded model: keys sorted, NaN, infinities, -0 and undefined spelled out. */
function canon(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? String(v) : `#${Object.is(v, -0) ? '-0' : v}`;
  if (v === undefined) return '#undefined';
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** A translator over a small bounded store, as the receiver holds one. */
function translator(): { tr: OtlpTranslator; store: Store } {
  const store = new Store({ maxSeries: 200 });
  let now = 1_000_000;
  return { tr: new OtlpTranslator({ store, streams: new DeltaTable(50, 60_000), promote: ['host.name'], quantiles: [0.5, 0.99], now: () => (now += 1000) }), store };
}

function decodeAny(decode: () => ResourceMetrics[]): ResourceMetrics[] | undefined {
  try {
    return decode();
  } catch (err) {
    expectCoded(err, [MALFORMED]);
    return undefined;
  }
}

/** Whatever decodes goes through the translator twice (a stream's second point meets its first): no throw, store bounded. */
function translateTwice(decoded: ResourceMetrics[] | undefined, tally: FuzzTally): void {
  if (!decoded) return;
  const { tr, store } = translator();
  tally.run(() => {
    tr.write(decoded);
    tr.write(decoded);
  });
  if (store.seriesCount > store.maxSeries) throw new Error(`${store.seriesCount} series in a store of ${store.maxSeries}`);
}

t.test('a valid request of every kind decodes to the model it was written from, protobuf and JSON', async (t) => {
  const tally = new FuzzTally();
  fc.assert(
    fc.property(request, (rms) => {
      const proto = tally.run(() => decodeMetricsRequest(encodeProto(rms)));
      if (canon(proto) !== canon(rms)) throw new Error(`protobuf:\n${canon(proto)}\nfor\n${canon(rms)}`);
      const json = tally.run(() => decodeMetricsRequestJson(encodeJson(rms)));
      if (canon(json) !== canon(rms)) throw new Error(`JSON:\n${canon(json)}\nfor\n${canon(rms)}`);
    }),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('decodes'));
});

const edit = fc.record({ at: fc.nat(), byte: fc.nat(255) });

t.test('any protobuf bytes and mutated requests throw only OtlpDecodeError; what decodes translates without throwing', async (t) => {
  const tally = new FuzzTally();
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.tuple(request, fc.array(edit, { minLength: 1, maxLength: 4 }), fc.nat()).map(([rms, edits, cut]) => {
      const b = encodeProto(rms);
      for (const e of edits) if (b.length) b[e.at % b.length] = e.byte;
      return cut % 3 === 0 ? b.subarray(0, cut % (b.length + 1)) : b;
    }),
  );
  fc.assert(
    fc.property(bytes, (b) =>
      translateTwice(
        tally.run(() => decodeAny(() => decodeMetricsRequest(b))),
        tally,
      ),
    ),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('protobuf bodies'));
});

t.test('any JSON and mutated JSON requests throw only OtlpDecodeError; what decodes translates without throwing', async (t) => {
  const tally = new FuzzTally();
  const text = fc.oneof(
    fc.json({ maxDepth: 6 }),
    fc.string({ maxLength: 100 }),
    request.map((rms) => encodeJson(rms)),
    fc
      .tuple(request, fc.array(fc.record({ at: fc.nat(), c: fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '0', '-', 'e', 'null', 'true', '"x"', '1e999') }), { minLength: 1, maxLength: 4 }))
      .map(([rms, edits]) => {
        let s = encodeJson(rms);
        for (const e of edits) {
          const i = e.at % (s.length + 1);
          s = s.slice(0, i) + e.c + s.slice(i + 1);
        }
        return s;
      }),
    // Valid structure with values of any JSON type where numbers, strings and objects belong.
    request.chain((rms) =>
      fc.tuple(fc.constant(encodeJson(rms)), fc.array(fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 3 })).map(([s, swaps]) => {
        const tree = JSON.parse(s) as unknown;
        const slots: Array<[Record<string, unknown>, string]> = [];
        const walk = (v: unknown) => {
          if (!v || typeof v !== 'object') return;
          for (const [k, x] of Object.entries(v)) {
            slots.push([v as Record<string, unknown>, k]);
            walk(x);
          }
        };
        walk(tree);
        for (const [i, val] of swaps) if (slots.length) slots[i % slots.length]![0][slots[i % slots.length]![1]] = val;
        return JSON.stringify(tree);
      }),
    ),
  );
  fc.assert(
    fc.property(text, (s) =>
      translateTwice(
        tally.run(() => decodeAny(() => decodeMetricsRequestJson(s))),
        tally,
      ),
    ),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('JSON bodies'));
});

t.test('any sequence of exponential histogram points of one stream translates without throwing, in bounded memory', async (t) => {
  const tally = new FuzzTally();
  const offset = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -50, max: 50 }));
  const buckets = fc.record({ offset, counts: fc.array(fc.nat(1000), { maxLength: 5 }) });
  const point = fc.record({ scale: fc.integer({ min: -12, max: 22 }), zeroCount: fc.nat(10), positive: buckets, negative: buckets }).map((p) => ({
    attrs: [] as Array<[string, string]>,
    startMs: 1,
    timeMs: 2,
    count: p.zeroCount + [...p.positive.counts, ...p.negative.counts].reduce((a, b) => a + b, 0),
    sum: 1,
    flags: 0,
    ...p,
  }));
  fc.assert(
    fc.property(fc.array(point, { minLength: 2, maxLength: 5 }), fc.constantFrom(1, 2), (points, temporality) => {
      const { tr } = translator();
      const before = process.memoryUsage().heapUsed;
      for (const [i, p] of points.entries()) {
        const req: ResourceMetrics[] = [
          {
            attrs: [],
            scopes: [{ name: '', version: '', metrics: [{ kind: 'exponential_histogram', name: 'h', description: '', unit: '', temporality, points: [{ ...p, startMs: i, timeMs: i + 1 }] }] }],
          },
        ];
        tally.run(() => tr.write(req));
      }
      const grew = process.memoryUsage().heapUsed - before;
      if (grew > 64 << 20) throw new Error(`the heap grew ${grew} bytes for ${points.length} points`);
    }),
    { numRuns: RUNS },
  );
  t.pass(tally.summary('points'));
});

t.test('two points of one exponential histogram stream far apart are combined in bounded buckets', async (t) => {
  const exp = (count: number, offset: number, scale = 0): ResourceMetrics[] => [
    {
      attrs: [],
      scopes: [
        {
          name: '',
          version: '',
          metrics: [
            {
              kind: 'exponential_histogram',
              name: 'h',
              description: '',
              unit: '',
              temporality: 2,
              points: [{ attrs: [], startMs: 1, timeMs: 2, count, sum: 1, scale, zeroCount: 0, positive: { offset, counts: [count] }, negative: { offset: 0, counts: [] }, flags: 0 }],
            },
          ],
        },
      ],
    },
  ];
  // Before, the second point's interval was computed over one array spanning both offsets: 2^31 entries (48 s and
  // 3.5 GiB on this machine) or, at 5e7, the heap's end (the process died).
  for (const far of [50_000_000, 2 ** 31 - 1, -(2 ** 31)]) {
    for (const scale of [0, 20, -10]) {
      const { tr, store } = translator();
      const before = process.memoryUsage().heapUsed;
      t.same(tr.write(exp(1, 0, scale)), { accepted: 1, rejected: 0, reasons: [] });
      t.same(tr.write(exp(2, far, scale)), { accepted: 1, rejected: 0, reasons: [] }, `offset ${far} at scale ${scale}`);
      t.ok(process.memoryUsage().heapUsed - before < 64 << 20, `heap grew ${process.memoryUsage().heapUsed - before} B`);
      const dist = [...store.families()]
        .find((f) => f.name === 'h')
        ?.series.values()
        .next().value?.dist;
      t.equal(dist?.count, 2, 'the cumulative count is the second point');
    }
  }
  // Far apart at different scales (the lower one must be shifted too), and a far but empty side (it spans nothing).
  const twoScales = translator();
  t.same(twoScales.tr.write(exp(1, -(2 ** 31), -10)), { accepted: 1, rejected: 0, reasons: [] });
  t.same(twoScales.tr.write(exp(2, 2 ** 31 - 1, 20)), { accepted: 1, rejected: 0, reasons: [] }, 'scales -10 and 20, offsets -2^31 and 2^31-1');
  const empty = translator();
  const withNegative = (offset: number, counts: number[]) => {
    const r = exp(1, 0);
    (r[0]!.scopes[0]!.metrics[0]! as { points: Array<{ negative: { offset: number; counts: number[] } }> }).points[0]!.negative = { offset, counts };
    return r;
  };
  t.same(empty.tr.write(withNegative(0, [0])), { accepted: 1, rejected: 0, reasons: [] });
  t.same(empty.tr.write(withNegative(2 ** 31 - 1, [])), { accepted: 1, rejected: 0, reasons: [] }, 'an empty side far away');
  // An offset that is not a 32-bit index (JSON numbers can be anything) is refused, not combined.
  for (const bad of [0.5, 2 ** 31, -(2 ** 31) - 1, 1e300]) {
    const { tr } = translator();
    const r = tr.write(exp(1, bad));
    t.equal(r.rejected, 1, `offset ${bad}: ${r.reasons.join('; ')}`);
  }
});

t.test('a unit named like an Object.prototype key is a unit like any other, not a crash of the translation', async (t) => {
  // Before, `valueOf` looked up the unit table's prototype and the request failed with a TypeError (not a refusal).
  t.equal(prometheusName('a', 'valueOf', 'gauge'), 'a_valueOf');
  t.equal(prometheusName('a', 'constructor/__proto__', 'gauge'), 'a_constructor_per_proto');
  t.equal(prometheusName('a', 'toString/hasOwnProperty', 'counter'), 'a_toString_per_hasOwnProperty_total');
  t.equal(prometheusName('a', 'ms/s', 'gauge'), 'a_milliseconds_per_second');
});
