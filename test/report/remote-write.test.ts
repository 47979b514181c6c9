import t from 'tap';
import { uncompress } from 'snappyjs';
import { decodeWriteRequest, encodeWriteRequest } from '../../agent/report/remote-write/protobuf';
import { encodeRemoteWrite } from '../../agent/report/remote-write/output';
import { storeToSeries } from '../../agent/report/remote-write/from-store';
import { Store } from '../../agent/store/store';

t.test('WriteRequest encodes and decodes', async (t) => {
  const series = [
    {
      labels: [
        ['__name__', 'up'],
        ['job', 'x'],
      ] as Array<[string, string]>,
      samples: [[1, 1_700_000_000_000]] as Array<[number, number]>,
    },
    {
      labels: [
        ['__name__', 'ünï'],
        ['a', ''],
      ] as Array<[string, string]>,
      samples: [
        [-0.5, 5],
        [NaN, 300],
      ] as Array<[number, number]>,
    },
  ];
  const back = decodeWriteRequest(encodeWriteRequest(series));
  t.same(back[0], series[0]);
  t.same(back[1]!.labels, series[1]!.labels);
  t.equal(back[1]!.samples[0]![0], -0.5);
  t.ok(Number.isNaN(back[1]!.samples[1]![0]));
});

t.test('known bytes: one series, one label, one sample', async (t) => {
  const b = encodeWriteRequest([{ labels: [['a', 'b']], samples: [[1, 2]] }]);
  // 0a len( 0a 06 (0a 01 'a' 12 01 'b') 12 0b (09 <8 bytes of 1.0> 10 02) )
  t.equal(b.toString('hex'), '0a150a060a0161120162120b09000000000000f03f1002');
});

t.test('the store is expanded the Prometheus way and the body is snappy', async (t) => {
  const s = new Store();
  s.set({ name: 'c_total', help: '', type: 'counter' }, { x: '1' }, 5);
  s.setDist(
    { name: 'h', help: '', type: 'histogram' },
    {},
    {
      count: 3,
      sum: 2,
      buckets: [
        [0.5, 1],
        [Infinity, 3],
      ],
    },
  );
  const series = storeToSeries(s, 1000);
  const names = series.map((x) => x.labels.map(([k, v]) => `${k}=${v}`).join(','));
  t.same(names.sort(), ['__name__=c_total,x=1', '__name__=h_bucket,le=+Inf', '__name__=h_bucket,le=0.5', '__name__=h_count', '__name__=h_sum'].sort());
  // snappyjs, an independent implementation, reads what the pool's snappy wrote.
  const body = await encodeRemoteWrite(series);
  t.same(decodeWriteRequest(Buffer.from(uncompress(body))).length, 5);
});

t.test('the agent writing straight to an engine adds its identity to every series', async (t) => {
  const s = new Store();
  s.set({ name: 'node_load1', help: '', type: 'gauge' }, {}, 0.5);
  s.set({ name: 'app_info', help: '', type: 'gauge' }, { instance: 'explicit' }, 1);
  const series = storeToSeries(s, 1000, { instance: 'host-a', pod: 'web-0' });
  const sets = series.map((x) => x.labels.map(([k, v]) => `${k}=${v}`).join(',')).sort();
  t.same(sets, ['__name__=app_info,instance=explicit,pod=web-0', '__name__=node_load1,instance=host-a,pod=web-0']);
});
