import t from 'tap';
import { Batcher } from '../../agent/report/batcher';
import { decodePayload, encodePayload, packr } from '../../agent/wire/payload';
import { encodeSketch } from '../../agent/report/reporter';
import { Store } from '../../agent/store/store';

const ctr = { name: 'c_total', help: 'h', type: 'counter' as const };
const gauge = { name: 'g', help: 'h', type: 'gauge' as const };

t.test('definitions travel once per scope; unchanged series are not resent; a full refresh sends all', async (t) => {
  const store = new Store();
  store.set(ctr, { a: '1' }, 1);
  store.set(gauge, {}, 5);
  const b = new Batcher(store, { maxSamples: 100, maxBytes: 1 << 20 });
  const first = b.collect(false).map((c) => b.payload(c, 'x', 0, {}));
  t.equal(first[0]!.series.length, 2);
  t.equal(first[0]!.families.length, 2);
  store.set(ctr, { a: '1' }, 2);
  const second = b.collect(false).map((c) => b.payload(c, 'x', 0, {}));
  t.equal(second.length, 1);
  t.same(second[0]!.series, [], 'ids only');
  t.equal(second[0]!.scalars.length, 2, 'only the counter changed');
  t.same(b.collect(false), [], 'nothing changed');
  const full = b.collect(true);
  t.equal(full[0]!.entries.length, 2, 'full refresh');
  b.resetScope();
  t.equal(b.payload(full[0]!, 'x', 0, {}).series.length, 2, 'definitions again after a reset');
  t.same(b.definitions([999]).missing, [999]);
});

t.test('batches split by max samples', async (t) => {
  const store = new Store();
  for (let i = 0; i < 25; i++) store.set(gauge, { i: String(i) }, i);
  const b = new Batcher(store, { maxSamples: 10, maxBytes: 1 << 20 });
  t.same(
    b.collect(false).map((c) => c.entries.length),
    [10, 10, 5],
  );
});

t.test('a sketch with toJSON travels in its serialised form', async (t) => {
  const store = new Store();
  const sketch = {
    toJSON: () => ({
      a: 0.01,
      n: 2,
      s: 3,
      min: 1,
      max: 2,
      z: 0,
      p: [
        [0, 1],
        [70, 1],
      ],
      m: [],
    }),
  };
  store.setDist({ name: 'timer', help: '', type: 'summary' }, {}, { count: 2, sum: 3, quantiles: [[0.5, 1]], sketch });
  const b = new Batcher(store, { maxSamples: 10, maxBytes: 1 << 20, encodeSketch });
  const p = decodePayload(encodePayload(b.payload(b.collect(false)[0]!, 'x', 0, {})));
  t.same(p.dists[0]!.sketch, sketch.toJSON());
  t.equal(encodeSketch(new Map()), undefined, 'an unknown object is not sent');
});

t.test('scalars and distributions in one batch keep their own values, whichever comes first', async (t) => {
  const store = new Store();
  store.set(gauge, { i: '0' }, 7);
  store.setDist(
    { name: 'lat', help: '', type: 'histogram' },
    {},
    {
      count: 3,
      sum: 6,
      buckets: [
        [1, 1],
        [Infinity, 3],
      ],
    },
  );
  store.set(ctr, { a: '1' }, 9);
  const b = new Batcher(store, { maxSamples: 100, maxBytes: 1 << 20 });
  const [c] = b.collect(false);
  t.equal(c!.entries.length, 3);
  const p = decodePayload(encodePayload(b.payload(c!, 'x', 0, {})));
  const bySid = new Map(p.series.map((s) => [s.sid, s.labels.join(',')]));
  const scalars: Record<string, number> = {};
  for (let i = 0; i < p.scalars.length; i += 2) scalars[bySid.get(p.scalars[i]!)!] = p.scalars[i + 1]!;
  t.same(scalars, { 'i,0': 7, 'a,1': 9 }, 'each scalar with its own series');
  t.equal(p.dists.length, 1);
  t.same([p.dists[0]!.count, p.dists[0]!.sum, p.dists[0]!.buckets], [3, 6, [1, 1, Infinity, 3]]);
  t.equal(bySid.get(p.dists[0]!.sid), '', 'the distribution with its series');
  store.set(gauge, { i: '0' }, 8);
  const [d] = b.collect(false);
  t.equal(d!.dists, undefined, 'a batch of scalars only has no distribution column');
  t.same(b.payload(d!, 'x', 0, {}).scalars.slice(1), [8]);
});

t.test('pod identity labels join every series definition; a series keeps its own label of the same name', async (t) => {
  const store = new Store();
  store.set(gauge, { pod: 'own' }, 1);
  store.set(ctr, { a: '1' }, 1);
  const b = new Batcher(store, { maxSamples: 100, maxBytes: 1 << 20, extraLabels: { pod: 'web-0', namespace: 'shop' } });
  const p = b.collect(false).map((c) => b.payload(c, 'x', 0, {}))[0]!;
  const labelSets = p.series.map((s) => s.labels.join(',')).sort();
  t.same(labelSets, ['a,1,namespace,shop,pod,web-0', 'namespace,shop,pod,own']);
});

t.test('families that restart with the agent carry the flag on the wire; others do not', async (t) => {
  const store = new Store();
  store.add({ ...ctr, name: 'pushed_total', restartsWithAgent: true }, {}, 3);
  store.set(ctr, { a: '1' }, 7);
  t.equal(store.getFamily('pushed_total')!.restartsWithAgent, true);
  t.equal(store.getFamily('c_total')!.restartsWithAgent, undefined);
  const b = new Batcher(store, { maxSamples: 100, maxBytes: 1 << 20 });
  const [p] = b.collect(false).map((c) => b.payload(c, 'x', 0, {}));
  const wire = encodePayload(p!);
  const fams = decodePayload(wire).families;
  t.same(fams.find((f) => f.name === 'pushed_total')?.restartsWithAgent, true);
  t.notOk('restartsWithAgent' in fams.find((f) => f.name === 'c_total')!);
  // On the wire it is bit 0x10 of the type code (16 = a counter that restarts with the agent).
  const raw = packr.unpack(wire) as unknown[];
  const flat = raw[4] as unknown[];
  t.equal(flat[flat.indexOf('pushed_total') + 1], 16);
  t.equal(flat[flat.indexOf('c_total') + 1], 0);
  // A later writer flagging an existing family flags it (the definition travels again).
  store.set({ ...gauge, restartsWithAgent: true }, {}, 1);
  t.equal(store.getFamily('g')!.restartsWithAgent, true);
});

t.test('one family mixing series that restart with the agent and series that carry their own total: two definitions', async (t) => {
  // An OTLP counter sent cumulative by one client and delta (accumulated by the agent) by another, under one name.
  const store = new Store();
  store.set(ctr, { job: 'cumul' }, 8);
  store.set({ ...ctr, restartsWithAgent: true }, { job: 'delta' }, 20);
  store.set(ctr, { job: 'cumul' }, 10); // a later cumulative write does not unflag the delta series
  const b = new Batcher(store, { maxSamples: 100, maxBytes: 1 << 20 });
  const [p] = b.collect(false).map((c) => b.payload(c, 'x', 0, {}));
  const decoded = decodePayload(encodePayload(p!));
  const defs = decoded.families.filter((f) => f.name === 'c_total');
  t.equal(defs.length, 2, 'two definitions of c_total');
  const flagOf = (job: string) => {
    const sd = decoded.series.find((s) => s.labels.includes(job))!;
    return defs.find((f) => f.fid === sd.fid)?.restartsWithAgent === true;
  };
  t.equal(flagOf('delta'), true, 'the delta-accumulated series restarts with the agent');
  t.equal(flagOf('cumul'), false, 'the cumulative series carries its own total');
});

t.test('a family type code with unknown flag bits or a fraction is malformed', async (t) => {
  for (const type of [0x23, 1.5, -1, 0x15, 5]) {
    const wire = packr.pack([1, 'x', 0, {}, [1, 'f', type, ''], [], [], []]);
    t.throws(() => decodePayload(wire), /family definition 0 is malformed/, `type ${type}`);
  }
  t.equal(decodePayload(packr.pack([1, 'x', 0, {}, [1, 'f', 0x13, ''], [], [], []])).families[0]!.type, 'histogram');
});

t.test('series that leave the store are forgotten once the collects that could carry them are settled', async (t) => {
  const store = new Store();
  const b = new Batcher(store, { maxSamples: 10_000, maxBytes: 1 << 20 });
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 100; i++) store.set(gauge, { pod: `p${round}-${i}` }, i);
    for (const c of b.collect(false)) b.payload(c, 'x', 0, {});
    for (const s of [...store.getFamily('g')!.series.values()]) store.remove(s);
    // Every batch so far is settled: what left the store before this collect can go.
    b.prune(b.collects);
  }
  t.ok(b.definedSeries <= 100, `at most the last round's series are defined (${b.definedSeries}), not all 2,000 ever seen`);
  b.collect(false);
  b.prune(b.collects);
  t.equal(b.definedSeries, 0, 'none once the removal was seen and settled');
});

t.test('families whose every series left are forgotten too; one that comes back is defined again', async (t) => {
  const store = new Store();
  const b = new Batcher(store, { maxSamples: 10_000, maxBytes: 1 << 20 });
  store.set(gauge, { keep: '1' }, 1);
  for (let round = 0; round < 50; round++) {
    // Each round a family of its own (a StatsD client putting an id in the metric name, say).
    store.set({ name: `job_${round}_seconds`, help: '', type: 'gauge' }, { k: 'v' }, round);
    for (const c of b.collect(false)) b.payload(c, 'x', 0, {});
    store.remove(store.getFamily(`job_${round}_seconds`)!.series.values().next().value!);
    b.prune(b.collects);
  }
  b.collect(false);
  b.prune(b.collects);
  t.equal(b.definedFamilies, 1, `only the live family is defined (${b.definedFamilies}), not all 51 ever seen`);
  store.set({ name: 'job_3_seconds', help: '', type: 'gauge' }, { k: 'v' }, 7);
  const p = b.payload(b.collect(false)[0]!, 'x', 0, {});
  t.same(
    p.families.map((f) => f.name),
    ['job_3_seconds'],
    'the returning family is sent again',
  );
  t.equal(p.series.length, 1);
  t.equal(p.series[0]!.fid, p.families[0]!.fid, 'under the id its definition carries');
  t.not(p.families[0]!.fid, 4, 'a new id: the one it had is never reused');
  t.equal(b.definitions([p.series[0]!.sid]).families[0]!.name, 'job_3_seconds');
});

t.test('a gone series keeps its definition while a batch of its last collect is not settled', async (t) => {
  const store = new Store();
  const b = new Batcher(store, { maxSamples: 10_000, maxBytes: 1 << 20 });
  const s = store.set(gauge, { pod: 'a' }, 1)!;
  const first = b.collect(false);
  const sid = first[0]!.entries[0]!.def.sid;
  const n = b.collects;
  store.remove(s);
  store.set(gauge, { pod: 'b' }, 1);
  for (const c of b.collect(false)) b.payload(c, 'x', 0, {}); // sees the removal: pod a's last possible collect is `n`
  b.prune(n - 1);
  t.same(b.definitions([sid]).missing, [], 'kept: the batch of its last collect is still pending');
  b.prune(n);
  t.same(b.definitions([sid]).missing, [sid], 'forgotten once that collect is settled');
  t.equal(b.definedSeries, 1, 'the live series stays');
  b.prune(b.collects);
  t.equal(b.definedSeries, 1, 'a live series is never forgotten');
  t.equal(b.payload(b.collect(true)[0]!, 'x', 0, {}).series.length, 0, 'and its definition is still known to the scope');
});

t.test('when the change feed no longer reaches back, the gone series are found against the store', async (t) => {
  const store = new Store({ removalLogSize: 16 });
  const b = new Batcher(store, { maxSamples: 10_000, maxBytes: 1 << 20 });
  for (let i = 0; i < 100; i++) store.set(gauge, { pod: String(i) }, i);
  b.collect(false);
  let k = 0;
  for (const s of [...store.getFamily('g')!.series.values()]) if (k++ % 2 === 0) store.remove(s);
  t.equal(store.removedSince(0).removed, undefined, 'more removals than the log holds');
  b.collect(false);
  b.prune(b.collects);
  t.equal(b.definedSeries, 50, 'the 50 removed series are forgotten, the 50 left are kept');
  t.equal(b.definitions([...store.getFamily('g')!.series.values()].map((s) => s.id)).missing.length, 0);
});
