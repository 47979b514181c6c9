import t from 'tap';
import { StoreEncoderV1 } from '../../agent/report/remote-write/encode-v1';
import { storeToSeries } from '../../agent/report/remote-write/from-store';
import { decodeWriteRequest, encodeWriteRequest, RwSeries } from '../../agent/report/remote-write/protobuf';
import { Store } from '../../agent/store/store';

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
        const { bodies, count } = enc.encode(s, 1000, per, undefined, [marker]);
        t.equal(count, plain.length + 1);
        t.ok(
          bodies.every((b) => decodeWriteRequest(b).length <= per),
          `at most ${per} series per body`,
        );
        t.same(lines(bodies), lines([encodeWriteRequest([...plain, marker])]), `extra ${JSON.stringify(extra)}, value ${v}, per ${per}`);
        const filtered = enc.encode(s, 1000, per, filter, []);
        t.same(lines(filtered.bodies), lines([encodeWriteRequest(storeToSeries(s, 1000, extra, filter))]));
      }
    }
    // The staleness marker keeps its exact bits.
    const body = enc.encode(new Store(), 1, 10, undefined, [marker]).bodies[0]!;
    t.equal(body.toString('hex'), encodeWriteRequest([marker]).toString('hex'));
  }
});

t.test('kept labels of series gone from the store are dropped once they outnumber the live ones', async (t) => {
  const s = new Store();
  const enc = new StoreEncoderV1();
  for (let i = 0; i < 3000; i++) s.set({ name: 'g', help: '', type: 'gauge' }, { i: String(i) }, i);
  enc.encode(s, 1, 2000, undefined, []);
  t.equal(enc.cached, 3000);
  for (const x of [...s.getFamily('g')!.series.values()].slice(10)) s.remove(x);
  const { count } = enc.encode(s, 1, 2000, undefined, []);
  t.equal(count, 10);
  t.equal(enc.cached, 10);
  t.same(enc.encode(new Store(), 1, 2000, undefined, []).bodies, [], 'an empty store makes no body');
});
