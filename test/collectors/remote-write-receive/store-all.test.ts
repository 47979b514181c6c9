// The receiver's store write: each series' latest sample with its timestamp, the family type from the body's
// metadata, a staleness marker removing the series, and counted drops (no name, refused by the store's bound).
import t from 'tap';
import { storeAll } from '../../../agent/collectors/remote-write-receive/index';
import { LabelCache } from '../../../agent/collectors/remote-write-receive/label-cache';
import { receiveV1, receiveV2 } from '../../../agent/collectors/remote-write-receive/receive-decode';
import { encodeWriteRequest } from '../../../agent/report/remote-write/protobuf';
import { encodeRequestV2 } from '../../../agent/report/remote-write/protobuf-v2';
import { Store } from '../../../agent/store/store';

t.test('latest samples are written, nameless series and series over the bound are counted, not stored', async (t) => {
  const store = new Store({ maxSeries: 2 });
  const cache = new LabelCache(100);
  const got = receiveV1(
    encodeWriteRequest([
      { labels: [['job', 'no-name']], samples: [[1, 1000]] },
      {
        labels: [
          ['__name__', 'up'],
          ['job', 'a'],
        ],
        samples: [
          [1, 2000],
          [0, 1000],
        ],
      },
      { labels: [['__name__', 'temp']], samples: [[21.5, 3000]] },
      { labels: [['__name__', 'third']], samples: [[3, 3000]] },
    ]),
    cache,
  );
  t.same(storeAll(store, got, Date.now()), { samples: 3, noName: 1, refusedSeries: 1 });
  const up = [...store.getFamily('up')!.series.values()][0]!;
  t.same([up.labels, up.value, up.timestampMs], [{ job: 'a' }, 1, 2000]);
  t.equal(store.getFamily('third')?.series.size ?? 0, 0, 'over the bound');
});

t.test('2.0 metadata types the family (a counter only under a _total name); the same series again reuses its set', async (t) => {
  const store = new Store();
  const cache = new LabelCache(100);
  const body = (v: number) =>
    encodeRequestV2([
      { labels: [['__name__', 'jobs_total']], samples: [[v, 1000 + v]], meta: { type: 'counter', help: 'Jobs.' } },
      { labels: [['__name__', 'jobs']], samples: [[v, 1000 + v]], meta: { type: 'counter', help: '' } },
    ]);
  storeAll(store, receiveV2(body(1), cache), Date.now());
  const again = receiveV2(body(2), cache);
  storeAll(store, again, Date.now());
  t.equal(store.getFamily('jobs_total')?.type, 'counter');
  t.equal(store.getFamily('jobs_total')?.help, 'Jobs.');
  t.equal(store.getFamily('jobs')?.type, 'untyped', 'a counter without _total is stored untyped');
  t.equal([...store.getFamily('jobs_total')!.series.values()][0]!.value, 2);
  t.equal(cache.size, 2);
});
