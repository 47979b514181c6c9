/** The distribution expansion shared by the endpoint and remote write. */
import t from 'tap';
import { expandDistribution } from '../../agent/formats/expand';
import { storeToSeries } from '../../agent/report/remote-write/from-store';
import { render } from '../../agent/exposition/render';
import { Store } from '../../agent/store/store';
import type { Distribution, MetricType } from '../../agent/store/types';

const expand = (type: MetricType, d: Distribution) => {
  const out: string[] = [];
  expandDistribution(type, d, (suffix, label, lv, v) => out.push(`${suffix}${label ? `{${label}=${lv}}` : ''} ${v}`));
  return out;
};

t.test('histograms: cumulative buckets, +Inf added when missing, then sum and count', async (t) => {
  t.same(
    expand('histogram', {
      count: 4,
      sum: 300,
      buckets: [
        [100, 2],
        [200, 3],
      ],
    }),
    ['_bucket{le=100} 2', '_bucket{le=200} 3', '_bucket{le=+Inf} 4', '_sum 300', '_count 4'],
  );
  t.same(
    expand('histogram', {
      count: 4,
      sum: 1,
      buckets: [
        [1, 1],
        [Infinity, 4],
      ],
    }),
    ['_bucket{le=1} 1', '_bucket{le=+Inf} 4', '_sum 1', '_count 4'],
  );
  t.same(expand('histogram', { count: 2, sum: 1 }), ['_bucket{le=+Inf} 2', '_sum 1', '_count 2'], 'a histogram always has its +Inf bucket');
});

t.test('summaries: quantiles, then sum and count', async (t) => {
  t.same(
    expand('summary', {
      count: 3,
      sum: 0.6,
      quantiles: [
        [0.5, 0.2],
        [0.99, 0.3],
      ],
    }),
    ['{quantile=0.5} 0.2', '{quantile=0.99} 0.3', '_sum 0.6', '_count 3'],
  );
  t.same(expand('summary', { count: 0, sum: 0 }), ['_sum 0', '_count 0'], 'no quantiles in an empty window');
});

t.test('the endpoint and remote write expand a store the same way', async (t) => {
  const s = new Store();
  s.setDist(
    { name: 'h', help: '', type: 'histogram' },
    { a: 'x' },
    {
      count: 4,
      sum: 300,
      buckets: [
        [100, 2],
        [200, 3],
      ],
    },
  );
  s.setDist({ name: 'q', help: '', type: 'summary' }, {}, { count: 3, sum: 0.6, quantiles: [[0.5, 0.2]] });
  const fromText = render(s, 'text')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .sort();
  const fromRw = storeToSeries(s, 0)
    .map((rw) => {
      const name = rw.labels.find(([k]) => k === '__name__')![1];
      const rest = rw.labels.filter(([k]) => k !== '__name__');
      rest.sort((x, y) => (x[0] === 'le' || x[0] === 'quantile' ? 1 : y[0] === 'le' || y[0] === 'quantile' ? -1 : x[0] < y[0] ? -1 : 1));
      return `${name}${rest.length ? `{${rest.map(([k, v]) => `${k}="${v}"`).join(',')}}` : ''} ${rw.samples[0]![0]}`;
    })
    .sort();
  t.same(fromRw, fromText);
});
