import t from 'tap';
import { distParts, type DistPart } from '../../agent/history/dist-parts';
import { expandDistribution } from '../../agent/formats/expand';
import type { Distribution, MetricType } from '../../agent/store/types';

// The history's expansion of a distribution is the formats' one, in the same order, with the same label values.
t.test('distParts expands as expandDistribution', async (t) => {
  const cases: Array<[MetricType, Distribution]> = [
    [
      'histogram',
      {
        count: 5,
        sum: 2.5,
        buckets: [
          [0.1, 1],
          [1, 3],
          [-0, 0],
        ],
      },
    ],
    [
      'histogram',
      {
        count: 5,
        sum: 2.5,
        buckets: [
          [0.005, 1],
          [Infinity, 5],
        ],
      },
    ],
    ['histogram', { count: 0, sum: 0 }],
    [
      'summary',
      {
        count: 3,
        sum: 1,
        quantiles: [
          [0.5, 0.1],
          [0.99, NaN],
          [1e-7, 2],
        ],
      },
    ],
    ['summary', { count: 3, sum: 1 }],
  ];
  const parts: DistPart[] = [];
  const values: number[] = [];
  for (const [type, d] of cases) {
    for (let round = 0; round < 2; round++) {
      const want: unknown[] = [];
      expandDistribution(type, d, (suffix, label, labelValue, value) => want.push([suffix, label, labelValue, label === undefined ? suffix : `${suffix}\u0000${labelValue}`, value]));
      const n = distParts(type, d, parts, values);
      t.same(
        parts.slice(0, n).map((p, i) => [p.suffix, p.label, p.labelValue, p.key, values[i]]),
        want,
        `${type} ${JSON.stringify(d.buckets ?? d.quantiles ?? [])}, round ${round}`,
      );
    }
  }
});
