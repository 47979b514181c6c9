/** The comparison behind the dashboard query proof: what it asks of Outrider given node_exporter's result. */
import t from 'tap';
import { compare, instantiate, QuerySpec, SeriesValue, summarise, within } from './query-compare';

const series = (labels: Record<string, string>, mean: number, last = mean, points = new Map([[1, mean]])): SeriesValue => {
  const key = Object.entries(labels)
    .filter(([k]) => k !== 'job' && k !== 'instance')
    .sort()
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return { key, labels, points, mean, last };
};
const result = (...s: SeriesValue[]) => new Map(s.map((x) => [x.key, x]));
const pts = (...v: number[]) => new Map(v.map((x, i) => [100 + i, x] as [number, number]));
const problems = (v: ReturnType<typeof compare>) => ('problems' in v ? v.problems : undefined);
const q = (kind: QuerySpec['kind'], extra: Partial<QuerySpec> = {}): QuerySpec => ({ id: 'q', expr: 'x', kind, ...extra });

t.test('placeholders', async (t) => {
  t.equal(instantiate('irate(a{instance="$node",job="$job"}[$__rate_interval])', { job: 'outrider', node: '127.0.0.1:9', rateInterval: '5s' }), 'irate(a{instance="127.0.0.1:9",job="outrider"}[5s])');
});

t.test('summarise keys series without job and instance, averages finite values', async (t) => {
  const m = summarise([
    {
      metric: { __name__: 'a', job: 'node', instance: 'h:1', device: 'eth0' },
      values: [
        [1, '2'],
        [2, '4'],
        [3, 'NaN'],
      ],
    },
  ]);
  const s = m.get('__name__="a",device="eth0"')!;
  t.equal(s.mean, 3);
  t.ok(Number.isNaN(s.last));
});

t.test('tolerances', async (t) => {
  t.ok(within(100, 149, 0.5, 0));
  t.notOk(within(100, 300, 0.5, 0));
  t.ok(within(0.1, 0.9, 0.5, 1));
  t.ok(within(NaN, NaN, 0, 0));
  t.notOk(within(NaN, 1, 1, 1));
});

t.test('what is asked of Outrider', async (t) => {
  const eth0 = { device: 'eth0' };
  const lo = { device: 'lo' };
  t.same(compare(q('exact'), result(), result(series(eth0, 1))), { status: 'no-data', outriderSeries: 1 }, 'nothing from node_exporter asks nothing');
  t.same(compare(q('exact'), result(series(eth0, 5)), result(series(eth0, 5), series(lo, 1))), { status: 'compared', problems: [], series: 1 }, 'extra series are allowed');
  const missing = compare(q('gauge'), result(series(eth0, 5), series(lo, 1)), result(series(eth0, 5)));
  t.match(missing, { status: 'compared', problems: [/missing for Outrider: \{device="lo"\}/] }, 'a missing series fails');
  t.match(compare(q('exact'), result(series(eth0, 5)), result(series(eth0, 6))), { problems: [/node_exporter 5 vs Outrider 6/] }, 'exact is exact');
  const gauge = (n: number[], o: number[], steps = 0) => problems(compare(q('gauge'), result(series(eth0, 0, 0, pts(...n))), result(series(eth0, 0, 0, pts(...o))), [], steps));
  const flat = (v: number) => Array.from({ length: 8 }, () => v);
  t.same(gauge(flat(100), flat(104)), [], 'a gauge within 5 %');
  t.match(gauge(flat(100), flat(120)), [/Outrider 120/], 'a gauge 20 % off fails');
  t.same(problems(compare(q('rate', { abs: 10 }), result(series(eth0, 3)), result(series(eth0, 12)))), [], 'a rate within its floor');
  t.match(problems(compare(q('rate'), result(series(eth0, 3)), result(series(eth0, 12)))), [/node_exporter 3 vs Outrider 12/], 'a rate off by 4x fails');
  const burst = (n: number[], o: number[]) =>
    problems(compare(q('rate'), result(series(eth0, n.reduce((a, b) => a + b) / n.length, 0, pts(...n))), result(series(eth0, o.reduce((a, b) => a + b) / o.length, 0, pts(...o)))));
  t.same(burst([1, 1, 1, 1, 1, 90], [1, 1, 1, 1, 1, 1]), [], 'a burst in the last second of the window may reach the agent a collection later');
  t.match(burst([1, 1, 90, 1, 1, 1], [1, 1, 1, 1, 1, 1]), [/node_exporter/], 'a burst the agent never shows fails');
  t.same(problems(compare(q('presence'), result(series(eth0, 3)), result(series(eth0, 300)))), [], 'presence ignores values');
  t.match(compare(q('alert'), result(series(eth0, 1)), result()), { problems: [/missing/] }, 'an alert firing for node_exporter only fails');
  t.match(compare(q('exact', { exclude: 'why' }), result(series(eth0, 1)), result()), { status: 'excluded', reason: 'why' }, 'exclusions are reported, not asserted');
  t.match(
    compare(q('exact'), result(series({ collector: 'systemd' }, 0)), result(), [{ labels: { collector: 'systemd' }, reason: 'r' }]),
    { status: 'no-data' },
    'known series differences are not asked',
  );

  t.same(gauge([10, 20, 30, 40, 50, 60, 70, 80], [10, 10, 10, 10, 10, 60, 60, 60]), [], 'a level read up to 6 s late passes');
  t.match(gauge([10, 20, 30, 40, 50, 60, 70, 80, 90], [10, 10, 10, 10, 10, 10, 10, 10, 10]), [/Outrider 10, node_exporter/], 'a level older than the drift fails');
  t.match(gauge([10, 10, 10, 10, 10, 10, 10, 10, 10], [10, 10, 10, 10, 10, 10, 10, 25, 25]), [/2 of 3 points disagree, at 107/], 'a level node_exporter never saw fails');
  t.same(gauge(Array(20).fill(10), [...Array(19).fill(10), 25]), [], 'one point in a window off (a level another process moved for an instant) passes');
  t.match(gauge(Array(20).fill(10), Array(20).fill(12)), [/14 of 14 points disagree/], 'a level off at every point fails');
  t.same(gauge([100, 100, 140, 140, 60, 60, 60, 60, 60], [100, 100, 120, 120, 120, 120, 120, 120, 60]), [], "a level between two of node_exporter's reads in the drift (it moved between them) passes");
  t.same(
    problems(compare(q('gauge'), result(series(eth0, 5, 5, pts(5, 5, 5)), series(lo, 1, 1, pts(1))), result(series(eth0, 5, 5, pts(5, 5, 5))), [], 3)),
    [],
    'a series node_exporter returned for part of the window only is transient, not asked',
  );
});
