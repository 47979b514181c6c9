import t from 'tap';
import { Batcher } from '../../agent/report/batcher';
import { AckedValues } from '../../agent/report/handover';
import { Store } from '../../agent/store/store';

const ctr = { name: 'c_total', help: 'h', type: 'counter' as const };

function setup() {
  const store = new Store();
  const b = new Batcher(store, { maxSamples: 10_000, maxBytes: 1 << 20 });
  const acked = new AckedValues(() => b.entries());
  let seq = 0;
  /** Writes the values, collects them into one batch and records it as sent; returns its sequence. */
  const send = (values: Record<string, number>, epoch = 1): number => {
    for (const [k, v] of Object.entries(values)) store.set(ctr, { k }, v);
    const [c] = b.collect(false);
    acked.sent(epoch, ++seq, c!);
    return seq;
  };
  const baseline = () => {
    const h = acked.handover();
    if (!h) return undefined;
    const byLabel: Record<string, number> = {};
    for (let i = 0; i < h.scalars.length; i += 2) {
      const s = [...store.getFamily('c_total')!.series.values()].find((x) => x.id === h.scalars[i]);
      byLabel[s ? s.labels.k! : `gone:${h.scalars[i]}`] = h.scalars[i + 1]!;
    }
    return { seq: h.seq, byLabel };
  };
  return { store, b, acked, send, baseline };
}

t.test('the handover holds the latest acknowledged value of each series and the highest acknowledged sequence', async (t) => {
  const { acked, send, baseline } = setup();
  const s1 = send({ a: 1, b: 10 });
  t.equal(acked.handover(), undefined, 'nothing acknowledged yet');
  const s2 = send({ a: 2 });
  const s3 = send({ a: 3, b: 30 });
  acked.acked(1, s1);
  t.same(baseline(), { seq: s1, byLabel: { a: 1, b: 10 } });
  acked.acked(1, s3);
  acked.acked(1, s2); // answered late: older than what is already acknowledged for a
  t.same(baseline(), { seq: s3, byLabel: { a: 3, b: 30 } }, 'a late acknowledgement of an older batch does not win');
  acked.acked(1, s3);
  acked.acked(2, s1);
  t.same(baseline(), { seq: s3, byLabel: { a: 3, b: 30 } }, 'a repeated or foreign-epoch acknowledgement changes nothing');
});

t.test('a new epoch starts afresh', async (t) => {
  const { acked, send, baseline } = setup();
  acked.acked(1, send({ a: 1 }));
  t.same(baseline()?.byLabel, { a: 1 });
  send({ a: 2 }, 2);
  t.equal(acked.handover(), undefined, 'nothing of epoch 2 acknowledged');
});

t.test('batches over the pending bound are forgotten, oldest first', async (t) => {
  const store = new Store();
  const b = new Batcher(store, { maxSamples: 10_000, maxBytes: 1 << 20 });
  const acked = new AckedValues(() => b.entries(), 2);
  let seq = 0;
  for (const v of [1, 2, 3]) {
    store.set(ctr, { k: 'a' }, v);
    acked.sent(1, ++seq, b.collect(false)[0]!);
  }
  t.equal(acked.forgotten, 1);
  acked.acked(1, 1);
  t.equal(acked.handover(), undefined, 'the forgotten batch sets no baseline');
  acked.acked(1, 3);
  t.same(acked.handover()?.scalars.slice(1), [3]);
});

t.test('a series the batcher forgot (gone from the store, its batches settled) is not handed over', async (t) => {
  const { store, b, acked, send, baseline } = setup();
  acked.acked(1, send({ a: 1, b: 2 }));
  store.remove([...store.getFamily('c_total')!.series.values()].find((s) => s.labels.k === 'b')!);
  const s2 = send({ a: 5 });
  t.same(baseline()?.byLabel, { a: 1, [`gone:${[...b.entries()].find((e) => e.goneAt >= 0)!.def.sid}`]: 2 }, 'kept until pruned');
  acked.acked(1, s2);
  b.prune(b.collects);
  t.same(baseline()?.byLabel, { a: 5 }, 'pruned: only the live series');
});

t.test('a distribution acknowledged beside scalars becomes the baseline of its series', async (t) => {
  const store = new Store();
  const b = new Batcher(store, { maxSamples: 10_000, maxBytes: 1 << 20 });
  const acked = new AckedValues(() => b.entries());
  store.set(ctr, { k: 'a' }, 4);
  store.setDist({ name: 'lat', help: '', type: 'histogram' }, {}, { count: 2, sum: 5, buckets: [[Infinity, 2]] });
  acked.sent(1, 1, b.collect(false)[0]!);
  acked.acked(1, 1);
  const h = acked.handover()!;
  t.same(h.scalars.slice(1), [4]);
  t.same(
    h.dists.map((d) => [d.count, d.sum, d.buckets]),
    [[2, 5, [Infinity, 2]]],
  );
});
