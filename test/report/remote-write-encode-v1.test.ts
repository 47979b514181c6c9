import fc from 'fast-check';
import t from 'tap';
import { StoreEncoderV1 } from '../../agent/report/remote-write/encode-v1';
import { storeToSeries } from '../../agent/report/remote-write/from-store';
import { decodeWriteRequest, encodeWriteRequest, RwSeries } from '../../agent/report/remote-write/protobuf';
import type { Series } from '../../agent/store/store';
import { Store } from '../../agent/store/store';

/** One tick's bodies (copied out: the encoder hands a view of its buffer) and count. */
function encode(enc: StoreEncoderV1, s: Store, nowMs: number, per: number, filter: ((x: Series) => boolean) | undefined, extra: readonly RwSeries[]) {
  const bodies: Buffer[] = [];
  const count = enc.encode(s, nowMs, per, filter, extra, (b) => bodies.push(Buffer.from(b)));
  return { bodies, count };
}

function fill(s: Store, v: number): void {
  for (let i = 0; i < 7; i++) s.set({ name: 'g', help: 'A gauge.', type: 'gauge' }, { i: String(i), ü: 'ñ' }, v + i);
  s.set({ name: 'c_total', help: '', type: 'counter' }, {}, v * 2);
  s.setSample({ name: 'ts', help: '', type: 'untyped' }, { labels: { instance: 'own' }, value: v, timestampMs: 1234 });
  s.setDist({ name: 'h', help: '', type: 'histogram' }, { k: 'v' }, { count: 3, sum: v, buckets: [[0.5, 1]] });
  s.setDist({ name: 'q', help: '', type: 'summary' }, {}, { count: 2, sum: 1, quantiles: [[0.5, v]] });
}

/** Every body of a tick decoded, one `labels => [value, ts]` line per time series, sorted. */
function lines(bodies: readonly Buffer[]): string[] {
  return bodies.flatMap((b) => decodeWriteRequest(b).map((x) => `${JSON.stringify(x.labels)} => ${JSON.stringify(x.samples)}`)).sort();
}

t.test('the kept-label encoder writes what the plain encoder writes, tick after tick', async (t) => {
  for (const extra of [{}, { instance: 'host-a', pod: 'web-0' }] as Array<Record<string, string>>) {
    const s = new Store();
    const enc = new StoreEncoderV1(extra);
    const marker: RwSeries = { labels: [['__name__', 'gone']], samples: [[NaN, 99]], stale: true };
    for (const v of [1, 2.5, -3]) {
      fill(s, v);
      for (const per of [1, 4, 2000]) {
        const plain = storeToSeries(s, 1000, extra);
        const filter = (x: { family: { name: string } }) => x.family.name !== 'c_total';
        const { bodies, count } = encode(enc, s, 1000, per, undefined, [marker]);
        t.equal(count, plain.length + 1);
        t.ok(
          bodies.every((b) => decodeWriteRequest(b).length <= per),
          `at most ${per} series per body`,
        );
        t.same(lines(bodies), lines([encodeWriteRequest([...plain, marker])]), `extra ${JSON.stringify(extra)}, value ${v}, per ${per}`);
        const filtered = encode(enc, s, 1000, per, filter, []);
        t.same(lines(filtered.bodies), lines([encodeWriteRequest(storeToSeries(s, 1000, extra, filter))]));
      }
    }
    // The staleness marker keeps its exact bits.
    const body = encode(enc, new Store(), 1, 10, undefined, [marker]).bodies[0]!;
    t.equal(body.toString('hex'), encodeWriteRequest([marker]).toString('hex'));
  }
});

t.test('kept labels of series gone from the store are dropped once they outnumber the live ones', async (t) => {
  const s = new Store();
  const enc = new StoreEncoderV1();
  for (let i = 0; i < 3000; i++) s.set({ name: 'g', help: '', type: 'gauge' }, { i: String(i) }, i);
  encode(enc, s, 1, 2000, undefined, []);
  t.equal(enc.cached, 3000);
  for (const x of [...s.getFamily('g')!.series.values()].slice(10)) s.remove(x);
  const { count } = encode(enc, s, 1, 2000, undefined, []);
  t.equal(count, 10);
  t.equal(enc.cached, 10);
  t.same(encode(enc, new Store(), 1, 2000, undefined, []).bodies, [], 'an empty store makes no body');
});

/** The reference bytes of one tick: the plain encoder over the store's series and `extra`, `per` to a request. */
function reference(s: Store, nowMs: number, per: number, extra: Readonly<Record<string, string>>, filter: ((x: Series) => boolean) | undefined, markers: readonly RwSeries[]): Buffer[] {
  const all = [...storeToSeries(s, nowMs, extra, filter), ...markers];
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += per) out.push(encodeWriteRequest(all.slice(i, i + per)));
  return out;
}

t.test("property: every tick's bodies are byte for byte the reference encoding, over random series sets and changes", async (t) => {
  const name = fc.constantFrom('a', 'b_total', 'ç', 'h');
  const op = fc.oneof(
    fc.record({
      k: fc.constant('set' as const),
      name,
      id: fc.integer({ min: 0, max: 40 }),
      v: fc.oneof(fc.double(), fc.integer()),
      ts: fc.option(fc.integer({ min: -5, max: 2 ** 45 }), { nil: undefined }),
    }),
    fc.record({ k: fc.constant('dist' as const), id: fc.integer({ min: 0, max: 5 }), v: fc.double({ noNaN: true }) }),
    fc.record({ k: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 40 }) }),
  );
  const tick = fc.record({ ops: fc.array(op, { maxLength: 60 }), now: fc.integer({ min: 0, max: 2 ** 44 }), per: fc.integer({ min: 1, max: 7 }), filtered: fc.boolean(), stale: fc.boolean() });
  const extraArb = fc.constantFrom<Record<string, string>>({}, { instance: 'host-a', id: 'from-extra' }, { zz: 'é' });
  let ticks = 0;
  fc.assert(
    fc.property(extraArb, fc.array(tick, { minLength: 1, maxLength: 8 }), (extra, ticksIn) => {
      const s = new Store();
      const enc = new StoreEncoderV1(extra);
      for (const tk of ticksIn) {
        for (const o of tk.ops) {
          if (o.k === 'set') {
            const labels = { id: String(o.id), shard: String(o.id % 3), ...(o.id % 7 === 0 ? { long: 'x'.repeat(150 + o.id) } : {}) };
            if (o.ts === undefined) s.set({ name: o.name, help: '', type: o.name.endsWith('_total') ? 'counter' : 'gauge' }, labels, o.v);
            else s.setSample({ name: o.name, help: '', type: 'untyped' }, { labels, value: o.v, timestampMs: o.ts });
          } else if (o.k === 'dist')
            s.setDist(
              { name: 'lat', help: '', type: 'histogram' },
              { id: String(o.id) },
              {
                count: 2,
                sum: o.v,
                buckets: [
                  [0.1, 1],
                  [1, 2],
                ],
              },
            );
          else for (const f of s.families()) for (const x of [...f.series.values()]) if (x.labels.id === String(o.id) && x.family.name.length === 1) s.remove(x);
        }
        const filter = tk.filtered ? (x: Series) => x.family.name !== 'b_total' : undefined;
        const markers: RwSeries[] = tk.stale ? [{ labels: [['__name__', 'gone']], samples: [[NaN, tk.now]], stale: true }] : [];
        const got = encode(enc, s, tk.now, tk.per, filter, markers);
        const want = reference(s, tk.now, tk.per, extra, filter, markers);
        if (got.bodies.length !== want.length || got.bodies.some((b, i) => !b.equals(want[i]!))) return false;
        if (got.count !== storeToSeries(s, tk.now, extra, filter).length + markers.length) return false;
        ticks++;
      }
      return true;
    }),
    { numRuns: 200 },
  );
  t.ok(ticks > 200, `${ticks} ticks compared`);
});

t.test('property: steady ticks (values and timestamps written over the last tick requests) stay byte for byte the reference', async (t) => {
  // Most ticks change only values, so most series are written over in place; now and then the set or a timestamp's
  // length changes under them.
  const step = fc.record({
    values: fc.array(fc.oneof(fc.double(), fc.integer()), { minLength: 1, maxLength: 5 }),
    now: fc.constantFrom(0, 5, 1000, 2 ** 20, 1_700_000_000_000, 1_700_000_005_000, 2 ** 50),
    op: fc.option(
      fc.oneof(
        fc.record({ k: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 29 }) }),
        fc.record({ k: fc.constant('add' as const), id: fc.integer({ min: 30, max: 34 }) }),
        fc.record({ k: fc.constant('ts' as const), id: fc.integer({ min: 0, max: 29 }), ts: fc.constantFrom(1, 300, 2 ** 40) }),
        fc.record({ k: fc.constant('dist' as const), v: fc.double({ noNaN: true }) }),
      ),
      { nil: undefined, freq: 3 },
    ),
  });
  let written = 0;
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 30 }), fc.array(step, { minLength: 2, maxLength: 12 }), (per, n, steps) => {
      const s = new Store();
      const enc = new StoreEncoderV1();
      const g = { name: 'g', help: '', type: 'gauge' as const };
      for (let i = 0; i < n; i++) s.set(g, { id: String(i), pad: 'p'.repeat(i * 7) }, i);
      for (const st of steps) {
        let k = 0;
        for (const x of s.getFamily('g')?.series.values() ?? []) if (x.timestampMs === undefined) s.writeHandle(x, st.values[k++ % st.values.length]!);
        const o = st.op;
        if (o?.k === 'remove') for (const x of [...(s.getFamily('g')?.series.values() ?? [])]) if (x.labels.id === String(o.id)) s.remove(x);
        if (o?.k === 'add') s.set(g, { id: String(o.id), pad: '' }, o.id);
        if (o?.k === 'ts') s.setSample(g, { labels: { id: String(o.id), pad: 'p'.repeat(o.id * 7) }, value: 1, timestampMs: o.ts });
        if (o?.k === 'dist') s.setDist({ name: 'h', help: '', type: 'histogram' }, {}, { count: 1, sum: o.v, buckets: [[1, 1]] });
        const got = encode(enc, s, st.now, per, undefined, []);
        const want = reference(s, st.now, per, {}, undefined, []);
        if (got.bodies.length !== want.length || got.bodies.some((b, i) => !b.equals(want[i]!))) return false;
        written += got.count;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.ok(written > 1000, `${written} series compared`);
});
