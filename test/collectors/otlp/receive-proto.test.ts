/**
 * The protobuf receiver's decoder (receive-proto.ts: Gauge and Sum streams cached by their attribute bytes, written
 * through kept store handles) held to the full decoder (decode-proto.ts) and the translator's general path: sequences
 * of requests of every metric kind, from small pools of names and attributes (so streams repeat, families meet under
 * other types and help, delta streams accumulate and overlap, "no recorded value" points remove series, and series
 * are removed from the store between requests), leave the same store (every family, series, value, distribution,
 * flag and the store's generation) and the same answers; with a tiny cache, so its bound is crossed; any bytes and
 * mutated requests are refused by the one exactly when by the other.
 */
import fc from 'fast-check';
import t from 'tap';
import { decodeMetricsRequest } from '../../../agent/collectors/otlp/decode-proto';
import { DeltaTable } from '../../../agent/collectors/otlp/delta';
import type { Attrs, ExpBuckets, NumberPoint, OtlpMetric, ResourceMetrics } from '../../../agent/collectors/otlp/model';
import { receiveFast, receiveMetricsRequest } from '../../../agent/collectors/otlp/receive-proto';
import { StreamCache } from '../../../agent/collectors/otlp/stream-cache';
import { OtlpTranslator, TranslateResult } from '../../../agent/collectors/otlp/translate';
import { Store } from '../../../agent/store/store';
import { RUNS } from '../../helpers/fuzz';
import { encodeProto } from './otlp-encode';

const name = fc.constantFrom('a', 'b', 'req.count', 'x_total', '');
const text = fc.constantFrom('', 's', 'By', '1');
const attrs: fc.Arbitrary<Attrs> = fc.array(fc.tuple(fc.constantFrom('k', 'route', 'a.b', 'a_b', '0x'), fc.constantFrom('1', '2', '')), { maxLength: 3 });
const ms = fc.nat(20).map((n) => n * 1000);
const dbl = fc.oneof(fc.integer({ min: -3, max: 50 }), fc.constantFrom(NaN, Infinity, 0.5));
const numberPoint: fc.Arbitrary<NumberPoint> = fc.record({ attrs, startMs: ms, timeMs: ms, value: dbl, hasValue: fc.constant(true), flags: fc.constantFrom(0, 0, 0, 1) });
const common = { attrs, startMs: ms, timeMs: ms, flags: fc.constantFrom(0, 0, 1) };
const metric: fc.Arbitrary<OtlpMetric> = fc
  .record({ name, description: text, unit: text, temporality: fc.constantFrom(1, 1, 2, 2, 0), monotonic: fc.boolean() })
  .chain(({ name, description, unit, temporality, monotonic }) => {
    const base = { name, description, unit };
    return fc.oneof(
      { weight: 3, arbitrary: fc.array(numberPoint, { maxLength: 4 }).map((points) => ({ ...base, kind: 'gauge' as const, points })) },
      { weight: 3, arbitrary: fc.array(numberPoint, { maxLength: 4 }).map((points) => ({ ...base, kind: 'sum' as const, temporality, monotonic, points })) },
      {
        weight: 1,
        arbitrary: fc
          .array(fc.record({ ...common, count: fc.constant(3), sum: fc.constant(2), bucketCounts: fc.constant<number[]>([1, 2]), bounds: fc.constant<number[]>([1]) }), { maxLength: 2 })
          .map((points) => ({ ...base, kind: 'histogram' as const, temporality, points })),
      },
      {
        weight: 1,
        arbitrary: fc
          .array(
            fc.record({
              ...common,
              count: fc.constant(2),
              sum: fc.constant(3),
              scale: fc.constant(0),
              zeroCount: fc.constant(0),
              positive: fc.constant<ExpBuckets>({ offset: 0, counts: [1, 1] }),
              negative: fc.constant<ExpBuckets>({ offset: 0, counts: [] }),
            }),
            {
              maxLength: 2,
            },
          )
          .map((points) => ({ ...base, kind: 'exponential_histogram' as const, temporality, points })),
      },
      {
        weight: 1,
        arbitrary: fc
          .array(fc.record({ ...common, count: fc.constant(4), sum: fc.constant(1), quantiles: fc.constant<Array<[number, number]>>([[0.5, 1]]) }), { maxLength: 2 })
          .map((points) => ({ ...base, kind: 'summary' as const, points })),
      },
    );
  });
const resource = fc.constantFrom<Attrs>(
  [],
  [['service.name', 'svc']],
  [
    ['service.name', 'svc'],
    ['host.name', 'h1'],
  ],
  [
    ['service.instance.id', 'i'],
    ['host.name', 'h2'],
  ],
);
const request: fc.Arbitrary<ResourceMetrics[]> = fc.array(
  fc.record({ attrs: resource, scopes: fc.array(fc.record({ name: fc.constantFrom('', 'lib'), version: fc.constantFrom('', '1'), metrics: fc.array(metric, { maxLength: 3 }) }), { maxLength: 2 }) }),
  { minLength: 1, maxLength: 2 },
);

interface Side {
  store: Store;
  tr: OtlpTranslator;
}

function side(): Side {
  const store = new Store({ maxSeries: 40 });
  let now = 1_000_000;
  return { store, tr: new OtlpTranslator({ store, streams: new DeltaTable(6, 60_000), promote: ['host.name'], quantiles: [0.5], now: () => (now += 1000) }) };
}

/** Everything the store holds, as text: families, series, values (NaN spelled out), distributions, flags, generation. */
function dump(store: Store): string {
  const fams = [...store.families()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: unknown[] = [store.generation, store.seriesCount];
  for (const f of fams) {
    const series = [...f.series.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
    out.push([f.name, f.type, f.help, f.restartsWithAgent === true, f.changedGen]);
    for (const s of series)
      out.push([s.key, String(s.value), JSON.stringify(s.dist, (_k, v: unknown) => (typeof v === 'number' ? String(v) : v)), s.timestampMs, s.updatedMs, s.restartsWithAgent === true, s.changedGen]);
  }
  return JSON.stringify(out);
}

/** Removes the `i`-th series (in key order) from the store, as the staleness sweep or another writer could. */
function removeNth(store: Store, i: number): void {
  const all = [...store.families()].flatMap((f) => [...f.series.values()]).sort((a, b) => (a.family.name + a.key < b.family.name + b.key ? -1 : 1));
  if (all.length > 0) store.remove(all[i % all.length]!);
}

function writeEither(s: Side, body: Buffer, fast: StreamCache | undefined): TranslateResult | 'refused' {
  try {
    return fast ? s.store.withSource('otlp', () => s.tr.writeReceived(receiveMetricsRequest(body, fast, s.tr))) : s.store.withSource('otlp', () => s.tr.write(decodeMetricsRequest(body)));
  } catch {
    return 'refused';
  }
}

/** A few requests, and a sequence of them (by index, so the same streams come again) with series removed between. */
const sequence = fc.tuple(fc.array(request, { minLength: 1, maxLength: 3 }), fc.array(fc.record({ pick: fc.nat(), remove: fc.option(fc.nat(), { freq: 3 }) }), { minLength: 2, maxLength: 8 }));

for (const [label, makeCache] of [
  ['a cache that holds every stream', () => new StreamCache()],
  ['a cache of 3 streams, 64 key bytes and 2 contexts', () => new StreamCache(3, 64, 2)],
] as const) {
  t.test(`request sequences leave the store as the full decoder's path does, with ${label}`, async (t) => {
    fc.assert(
      fc.property(sequence, ([pool, steps]) => {
        const ref = side();
        const fast = side();
        const cache = makeCache();
        const bodies = pool.map(encodeProto);
        for (const { pick, remove } of steps) {
          const body = bodies[pick % bodies.length]!;
          const want = writeEither(ref, body, undefined);
          const got = writeEither(fast, body, cache);
          if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`answers differ: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
          if (dump(fast.store) !== dump(ref.store)) throw new Error(`stores differ:\n${dump(fast.store)}\n${dump(ref.store)}`);
          if (remove !== null) {
            removeNth(ref.store, remove);
            removeNth(fast.store, remove);
          }
        }
      }),
      { numRuns: RUNS },
    );
    t.pass('same store and answers');
  });
}

t.test('any bytes and mutated requests are refused exactly when the full decoder refuses them, and what decodes is stored alike', async (t) => {
  const edit = fc.record({ at: fc.nat(), byte: fc.nat(255) });
  const bodies = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => ({ warm: Buffer.alloc(0), body: Buffer.from(b) })),
    fc.tuple(request, fc.array(edit, { minLength: 1, maxLength: 3 }), fc.nat()).map(([rms, edits, cut]) => {
      const warm = encodeProto(rms);
      const b = Buffer.from(warm);
      for (const e of edits) if (b.length) b[e.at % b.length] = e.byte;
      return { warm, body: cut % 3 === 0 ? b.subarray(0, cut % (b.length + 1)) : b };
    }),
  );
  let refused = 0;
  let runs = 0;
  fc.assert(
    fc.property(bodies, ({ warm, body }) => {
      runs++;
      const ref = side();
      const fast = side();
      const cache = new StreamCache();
      // The unmutated body first, so the mutated one meets cached streams (a changed byte in a key must miss).
      writeEither(ref, warm, undefined);
      writeEither(fast, warm, cache);
      let refRefused = false;
      try {
        decodeMetricsRequest(body);
      } catch {
        refRefused = true;
      }
      let fastRefused = false;
      try {
        receiveFast(body, cache, fast.tr);
      } catch {
        fastRefused = true;
      }
      if (refRefused !== fastRefused) throw new Error(`full decoder refused: ${refRefused}, receiver refused: ${fastRefused}, body ${body.toString('hex')}`);
      if (refRefused) refused++;
      const want = writeEither(ref, body, undefined);
      const got = writeEither(fast, body, cache);
      if (JSON.stringify(got) !== JSON.stringify(want) || dump(fast.store) !== dump(ref.store)) throw new Error(`differ for body ${body.toString('hex')}`);
    }),
    { numRuns: RUNS },
  );
  t.ok(refused > 0 && refused < runs, `${refused} of ${runs} bodies refused by both`);
});

/** A gauge request with one point whose fields are written in the given order (attributes split by other fields). */
function splitPoint(value: number): Buffer {
  const ld = (field: number, b: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
  const kv = (k: string, v: string) => ld(7, Buffer.concat([ld(1, Buffer.from(k)), ld(2, ld(1, Buffer.from(v)))]));
  const d = Buffer.alloc(9);
  d[0] = (4 << 3) | 1;
  d.writeDoubleLE(value, 1);
  const point = Buffer.concat([kv('b', '2'), d, kv('a', '1'), Buffer.from([8 << 3, 0])]);
  return ld(1, ld(2, ld(2, Buffer.concat([ld(1, Buffer.from('g')), ld(5, ld(1, point))]))));
}

t.test('a point whose attributes are split by other fields is written by its labels, as the full decoder writes it', async (t) => {
  const ref = side();
  const fast = side();
  const cache = new StreamCache();
  for (const v of [1, 2, 2]) {
    t.same(writeEither(fast, splitPoint(v), cache), writeEither(ref, splitPoint(v), undefined));
    t.equal(dump(fast.store), dump(ref.store));
  }
  t.equal(cache.size, 0, 'not cached');
  t.equal(fast.store.getFamily('g')?.series.get('a="1",b="2"')?.value ?? [...fast.store.getFamily('g')!.series.values()][0]!.value, 2);
});

t.test('a repeated stream is found in the cache and written through its kept store handle', async (t) => {
  const s = side();
  const cache = new StreamCache();
  const rms = (v: number): ResourceMetrics[] => [
    {
      attrs: [['service.name', 'svc']],
      scopes: [
        { name: '', version: '', metrics: [{ kind: 'gauge', name: 'g', description: '', unit: '', points: [{ attrs: [['k', '1']], startMs: 0, timeMs: 0, value: v, hasValue: true, flags: 0 }] }] },
      ],
    },
  ];
  const first = receiveMetricsRequest(encodeProto(rms(1)), cache, s.tr);
  s.tr.writeReceived(first);
  const handle = first.streams[0]!.handle;
  t.ok(handle, 'the first write keeps the series');
  const second = receiveMetricsRequest(encodeProto(rms(5)), cache, s.tr);
  t.equal(second.streams[0], first.streams[0], 'the same stream entry');
  t.same(s.tr.writeReceived(second), { accepted: 1, rejected: 0, reasons: [] });
  t.equal(handle!.value, 5, 'written through the handle');
  t.equal(cache.size, 1);
  t.ok(cache.keyBytes > 0);
});

t.test('the cache stays within its bounds, and each time it is emptied at them is counted', async (t) => {
  const s = side();
  const cache = new StreamCache(3, 64, 2);
  const points = (n: number): NumberPoint[] => Array.from({ length: n }, (_, i) => ({ attrs: [['k', `v${i}`]], startMs: 0, timeMs: 0, value: i, hasValue: true, flags: 0 }));
  const body = encodeProto([{ attrs: [], scopes: [{ name: '', version: '', metrics: [{ kind: 'gauge', name: 'g', description: '', unit: '', points: points(10) }] }] }]);
  for (let r = 0; r < 3; r++) {
    t.same(s.tr.writeReceived(receiveMetricsRequest(body, cache, s.tr)), { accepted: 10, rejected: 0, reasons: [] });
    t.ok(cache.size <= 3 && cache.keyBytes <= 64, `${cache.size} streams, ${cache.keyBytes} key bytes`);
  }
  t.ok(cache.resets >= 9, `${cache.resets} resets`);
  t.equal(s.store.getFamily('g')?.series.size, 10, 'every point stored all the same');
});
