/** The engine's own behaviour: refusals at compile time, range evaluation, limits, staleness, evaluation errors. */
import t from 'tap';
import { STALE_NAN, isStaleNaN } from '../../agent/history/types';
import { PromqlEngine } from '../../agent/query/engine';
import { MemoryHistory } from './memory-history';

function counters(): MemoryHistory {
  const h = new MemoryHistory(15_000);
  const pts = (slope: number) => Array.from({ length: 81 }, (_, i) => [i * 15_000, i * slope] as const);
  h.add({ __name__: 'req_total', job: 'a' }, pts(15));
  h.add({ __name__: 'req_total', job: 'b' }, pts(30));
  h.add({ __name__: 'other_total', job: 'a' }, pts(1));
  return h;
}

function thrown(f: () => unknown): { code?: string; message: string } {
  try {
    f();
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  return { message: 'no error' };
}

t.test('unsupported constructs and syntax errors are refused at compile time, naming them and their position', async (t) => {
  const e = new PromqlEngine(counters());
  const cases: [string, string, RegExp][] = [
    ['holt_winters(req_total[5m], 0.5, 0.5)', 'OUTRIDER_ERR_QUERY_UNSUPPORTED', /^1:1: the function holt_winters\(\)/],
    ['sum(rate(req_total[5m])) + day_of_week()', 'OUTRIDER_ERR_QUERY_UNSUPPORTED', /^1:28: the function day_of_week\(\)/],
    ['limitk(2, req_total)', 'OUTRIDER_ERR_QUERY_UNSUPPORTED', /the aggregation limitk/],
    ['req_total[1m+1m]', 'OUTRIDER_ERR_QUERY_UNSUPPORTED', /computed range duration/],
    ['req_total{job="a"', 'OUTRIDER_ERR_QUERY_PARSE', /^1:\d+: syntax error/],
    ['rate(req_total)', 'OUTRIDER_ERR_QUERY_PARSE', /expected type range vector in call to function "rate", got instant vector/],
    ['1 > 2', 'OUTRIDER_ERR_QUERY_PARSE', /comparisons between scalars must use BOOL modifier/],
    ['req_total and 1', 'OUTRIDER_ERR_QUERY_PARSE', /set operator "and" not allowed in binary scalar expression/],
    ['{job=""}', 'OUTRIDER_ERR_QUERY_PARSE', /at least one non-empty matcher/],
    ['req_total{job=~"("}', 'OUTRIDER_ERR_QUERY_PARSE', /invalid regular expression/],
    ['label_replace(req_total, "1bad", "", "job", ".*")', 'OUTRIDER_ERR_QUERY_PARSE', /invalid destination label name/],
    ['sum(req_total, 1)', 'OUTRIDER_ERR_QUERY_PARSE', /wrong number of arguments/],
    ['topk(req_total)', 'OUTRIDER_ERR_QUERY_PARSE', /wrong number of arguments/],
    ['req_total offset 1m offset 2m', 'OUTRIDER_ERR_QUERY_PARSE', /offset/],
    ['sum(req_total) offset 1m', 'OUTRIDER_ERR_QUERY_PARSE', /must follow a selector or a subquery/],
    ['rate(req_total[5m])[10m]', 'OUTRIDER_ERR_QUERY_PARSE', /ranges only allowed for vector selectors/],
    ['max_over_time(req_total - other_total[5m:1m])', 'OUTRIDER_ERR_QUERY_PARSE', /binary expression must contain only scalar and instant vector types/],
    ['(req_total) offset 5m', 'OUTRIDER_ERR_QUERY_PARSE', /must follow a selector or a subquery/],
    ['\nrate(req_total[5m]) +\n  foo(x)', 'OUTRIDER_ERR_QUERY_UNSUPPORTED', /^3:3: the function foo\(\)/],
  ];
  for (const [expr, code, msg] of cases) {
    const r = thrown(() => e.compile(expr));
    t.equal(r.code, code, `${expr}: ${r.message}`);
    t.match(r.message, msg, expr);
  }
});

t.test('a range query is the instant query at every step', async (t) => {
  const e = new PromqlEngine(counters());
  const q = e.compile('sum by (job) (rate(req_total[2m])) * 60');
  const r = q.range(300_000, 900_000, 30_000);
  t.equal(r.series.length, 2);
  for (const s of r.series) {
    t.equal(s.points.length, 21, 'one point per step');
    for (const [tMs, v] of s.points) {
      const inst = q.instant(tMs);
      t.equal(inst.type, 'vector');
      const same = inst.type === 'vector' ? inst.samples.find((x) => x.labels['job'] === s.labels['job']) : undefined;
      t.equal(v, same?.value, `step ${tMs}`);
    }
  }
  const a = r.series.find((s) => s.labels['job'] === 'a')!;
  t.equal(a.points[0]![1], 60, 'job a: 1 per second, 60 per minute');
});

t.test('a scalar range query yields one series without labels', async (t) => {
  const r = new PromqlEngine(counters()).compile('time() * 2').range(0, 60_000, 30_000);
  t.same(r.series, [
    {
      labels: {},
      points: [
        [0, 0],
        [30_000, 60],
        [60_000, 120],
      ],
    },
  ]);
});

t.test('a bare range selector evaluates to a matrix; range queries refuse it', async (t) => {
  const q = new PromqlEngine(counters()).compile('req_total{job="a"}[30s]');
  t.equal(q.valueType, 'matrix');
  const r = q.evaluateAt(60_000);
  t.same(r, {
    type: 'matrix',
    series: [
      {
        labels: { __name__: 'req_total', job: 'a' },
        points: [
          [30_000, 30],
          [45_000, 45],
          [60_000, 60],
        ],
      },
    ],
  });
  t.match(thrown(() => q.instant(60_000)).code, 'OUTRIDER_ERR_QUERY_EVAL');
  t.match(thrown(() => q.range(0, 60_000, 15_000)).message, /invalid expression type "range vector" for range query/);
});

t.test('staleness markers end a series; an ordinary NaN does not', async (t) => {
  const h = new MemoryHistory(60_000);
  h.add({ __name__: 'g', id: 'stale' }, [
    [0, 1],
    [60_000, 2],
    [120_000, 'stale'],
  ]);
  h.add({ __name__: 'g', id: 'nan' }, [
    [0, 1],
    [60_000, 2],
    [120_000, NaN],
  ]);
  const sel = h.select([{ name: '__name__', type: '=', value: 'g' }], 0, 200_000);
  const stale = sel.find((s) => s.labels['id'] === 'stale')!;
  t.ok(isStaleNaN(stale.values[2]!), 'the marker keeps its payload through a Float64Array');
  t.notOk(isStaleNaN(NaN), 'an ordinary NaN is not the marker');
  t.ok(isStaleNaN(STALE_NAN));
  const e = new PromqlEngine(h);
  const r = e.compile('g').instant(150_000);
  t.equal(r.type, 'vector');
  if (r.type !== 'vector') return;
  t.same(
    r.samples.map((s) => s.labels['id']),
    ['nan'],
    'the stale series is gone at once, within the lookback',
  );
  t.ok(Number.isNaN(r.samples[0]!.value));
  const c = e.compile('count_over_time(g[5m])').instant(150_000);
  t.same(
    c.type === 'vector' ? c.samples.map((s) => [s.labels['id'], s.value]).sort() : [],
    [
      ['nan', 3],
      ['stale', 2],
    ],
    'a range leaves the marker out',
  );
});

t.test('the samples limit and the time budget end an evaluation with their own codes', async (t) => {
  const h = counters();
  const tight = new PromqlEngine(h, { maxSamples: 100 });
  const err = thrown(() => tight.compile('rate(req_total[10m])').range(0, 1_200_000, 15_000));
  t.equal(err.code, 'OUTRIDER_ERR_QUERY_TOO_MANY_SAMPLES', err.message);
  t.equal(thrown(() => new PromqlEngine(h, { maxSamples: 1_000 }).compile('req_total').instant(600_000)).message, 'no error', 'a small query fits');
  const late = new PromqlEngine(h, { timeoutMs: -1 });
  t.equal(thrown(() => late.compile('rate(req_total[1m])').range(0, 1_200_000, 15_000)).code, 'OUTRIDER_ERR_QUERY_TIMEOUT');
  t.equal(thrown(() => new PromqlEngine(h).compile('req_total').range(0, 1e12, 1)).code, 'OUTRIDER_ERR_QUERY_BAD_RANGE', 'too many steps');
  t.equal(thrown(() => new PromqlEngine(h).compile('req_total').range(10, 0, 1)).code, 'OUTRIDER_ERR_QUERY_BAD_RANGE', 'end before start');
});

t.test('evaluation errors as Prometheus raises them', async (t) => {
  const e = new PromqlEngine(counters());
  t.match(thrown(() => e.compile('rate({__name__=~"req_total|other_total", job="a"}[1m])').instant(600_000)).message, /same labelset/, 'names dropped into a collision');
  t.match(thrown(() => e.compile('req_total + on() other_total').instant(600_000)).message, /many-to-one matching must be explicit/);
  t.match(thrown(() => e.compile('other_total + on() group_left req_total').instant(600_000)).message, /many-to-many matching not allowed/);
  t.match(thrown(() => e.compile('req_total * on() group_right other_total').instant(600_000)).message, /many-to-many matching not allowed/);
  const ok = e.compile('req_total * on(job) group_left other_total').instant(600_000);
  t.equal(ok.type === 'vector' ? ok.samples.length : -1, 1, 'many-to-one with one match on the one side');
  t.match(thrown(() => e.compile('label_replace(req_total, "job", "x", "job", ".*")').instant(600_000)).message, /same labelset/);
});

t.test('the history is read once per selector per evaluation, not once per step', async (t) => {
  const h = counters();
  new PromqlEngine(h).compile('rate(req_total[1m]) / on(job) group_left rate(other_total[1m])').range(0, 1_200_000, 15_000);
  t.equal(h.selects, 2);
});

t.test('count_values labels values as Go formats them', async (t) => {
  const h = new MemoryHistory();
  h.add({ __name__: 'v', id: '1' }, [[0, 1e21]]);
  h.add({ __name__: 'v', id: '2' }, [[0, 1.5e-7]]);
  h.add({ __name__: 'v', id: '3' }, [[0, -Infinity]]);
  const r = new PromqlEngine(h).compile('count_values("x", v)').instant(0);
  t.same(r.type === 'vector' ? r.samples.map((s) => s.labels['x']).sort() : [], ['-Inf', '0.00000015', '1000000000000000000000']);
});

t.test('@ start() and end() pin a selector to the range query bounds', async (t) => {
  const e = new PromqlEngine(counters());
  const r = e.compile('req_total{job="a"} @ end() - req_total{job="a"} @ start()').range(300_000, 600_000, 60_000);
  t.same(
    r.series.map((s) => s.points.map((p) => p[1])),
    [[300, 300, 300, 300, 300, 300]],
  );
  const end = e.compile('req_total{job="a"} @ end()').range(300_000, 600_000, 150_000);
  t.same(end.series[0]!.points, [
    [300_000, 600],
    [450_000, 600],
    [600_000, 600],
  ]);
});
