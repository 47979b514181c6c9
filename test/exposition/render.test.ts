import t from 'tap';
import { contentTypes, formatValue, negotiate, render } from '../../agent/exposition/render';
import { Store } from '../../agent/store/store';

function fixtureStore(): Store {
  const s = new Store();
  s.set({ name: 'node_cpu_seconds_total', help: 'Seconds the CPUs spent in each mode.', type: 'counter' }, { cpu: '0', mode: 'idle' }, 12.5);
  s.set({ name: 'node_load1', help: '1m load average.', type: 'gauge' }, {}, 0.5);
  s.set({ name: 'node_vmstat_pgfault', help: '/proc/vmstat information field pgfault.', type: 'untyped' }, {}, 42);
  s.set({ name: 'weird_help', help: 'Back\\slash "quoted"\nnewline.', type: 'gauge' }, { path: 'C:\\dir "x"' }, NaN);
  s.setDist(
    { name: 'rpc_duration_seconds', help: 'RPC latency.', type: 'summary' },
    { svc: 'a' },
    {
      count: 3,
      sum: 0.6,
      quantiles: [
        [0.5, 0.2],
        [0.99, 0.3],
      ],
    },
  );
  s.setDist(
    { name: 'req_size_bytes', help: 'Request sizes.', type: 'histogram' },
    {},
    {
      count: 4,
      sum: 300,
      buckets: [
        [100, 2],
        [200, 3],
      ],
    },
  );
  return s;
}

t.test('Prometheus text 0.0.4', async (t) => {
  t.equal(
    render(fixtureStore(), 'text'),
    [
      '# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.',
      '# TYPE node_cpu_seconds_total counter',
      'node_cpu_seconds_total{cpu="0",mode="idle"} 12.5',
      '# HELP node_load1 1m load average.',
      '# TYPE node_load1 gauge',
      'node_load1 0.5',
      '# HELP node_vmstat_pgfault /proc/vmstat information field pgfault.',
      '# TYPE node_vmstat_pgfault untyped',
      'node_vmstat_pgfault 42',
      '# HELP req_size_bytes Request sizes.',
      '# TYPE req_size_bytes histogram',
      'req_size_bytes_bucket{le="100"} 2',
      'req_size_bytes_bucket{le="200"} 3',
      'req_size_bytes_bucket{le="+Inf"} 4',
      'req_size_bytes_sum 300',
      'req_size_bytes_count 4',
      '# HELP rpc_duration_seconds RPC latency.',
      '# TYPE rpc_duration_seconds summary',
      'rpc_duration_seconds{svc="a",quantile="0.5"} 0.2',
      'rpc_duration_seconds{svc="a",quantile="0.99"} 0.3',
      'rpc_duration_seconds_sum{svc="a"} 0.6',
      'rpc_duration_seconds_count{svc="a"} 3',
      '# HELP weird_help Back\\\\slash "quoted"\\nnewline.',
      '# TYPE weird_help gauge',
      'weird_help{path="C:\\\\dir \\"x\\""} NaN',
      '',
    ].join('\n'),
  );
});

t.test('OpenMetrics 1.0.0', async (t) => {
  const out = render(fixtureStore(), 'openmetrics');
  t.match(out, /# TYPE node_cpu_seconds counter\nnode_cpu_seconds_total\{cpu="0",mode="idle"\} 12\.5\n/, 'counter family without _total, sample with it');
  t.match(out, /# TYPE node_vmstat_pgfault unknown\n/, 'untyped is unknown');
  t.match(out, /# HELP weird_help Back\\\\slash \\"quoted\\"\\nnewline\.\n/, 'HELP escapes quotes too');
  t.ok(out.endsWith('# EOF\n'), 'ends with # EOF');
});

t.test('values and negotiation', async (t) => {
  t.equal(formatValue(Infinity), '+Inf');
  t.equal(formatValue(-Infinity), '-Inf');
  t.equal(formatValue(NaN), 'NaN');
  t.equal(formatValue(1e21), '1e+21');
  t.equal(formatValue(-0), '0');
  for (const v of [0, 1, -1, 0.1 + 0.2, 2 ** 53, -(2 ** 31), 1e-7, 5e-324, Number.MAX_VALUE]) t.equal(formatValue(v), String(v), `finite ${v}`);
  t.equal(negotiate(undefined), 'text');
  t.equal(negotiate('text/plain'), 'text');
  t.equal(negotiate('application/openmetrics-text; version=1.0.0; charset=utf-8'), 'openmetrics');
  t.equal(negotiate('application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'), 'openmetrics', "Prometheus' own Accept");
  t.equal(negotiate('application/openmetrics-text; version=2.0.0'), 'text', 'unknown version falls back');
  t.equal(negotiate('application/openmetrics-text; q=0'), 'text');
  t.match(contentTypes.openmetrics, /version=1\.0\.0/);
});

t.test('the render cache follows the change feed: only changed families render again, and the body stays exact', async (t) => {
  const { RenderCache } = await import('../../agent/exposition/cache');
  const s = new Store({ removalLogSize: 8 });
  const fam = (i: number) => ({ name: `fam_${String(i).padStart(3, '0')}`, help: `Family ${i}.`, type: 'gauge' as const });
  for (let i = 0; i < 50; i++) for (let j = 0; j < 5; j++) s.set(fam(i), { j: String(j) }, i * j);
  const c = new RenderCache(s);
  const body = (f: 'text' | 'openmetrics') => c.get(f, false).toString('utf8');
  t.equal(body('text'), render(s, 'text'));
  t.equal(c.familyRenders, 50);

  s.set(fam(7), { j: '1' }, -1);
  t.equal(body('text'), render(s, 'text'));
  t.equal(c.familyRenders, 51, 'one family changed, one rendered');

  s.set(fam(200), {}, 1); // a new family sorts to its place
  s.set({ name: 'aaa_first', help: '', type: 'counter' }, {}, 1);
  s.remove([...s.getFamily(fam(3).name)!.series.values()][0]!);
  t.equal(body('text'), render(s, 'text'));
  t.equal(c.familyRenders, 54, 'two new families and one with a series fewer');

  for (const x of [...s.getFamily(fam(4).name)!.series.values()]) s.remove(x);
  t.equal(s.getFamily(fam(4).name), undefined);
  t.equal(body('text'), render(s, 'text'), 'a family gone from the store is gone from the body');
  t.equal(c.familyRenders, 54, 'and nothing rendered for it');

  t.equal(body('openmetrics'), render(s, 'openmetrics'), 'each format keeps its own texts');

  // Twenty removals with a log of eight: the cache resyncs and still serves the exact body.
  for (let i = 10; i < 14; i++) for (const x of [...s.getFamily(fam(i).name)!.series.values()]) s.remove(x);
  s.set(fam(4), { back: 'again' }, 4);
  t.equal(body('text'), render(s, 'text'));
  t.equal(body('openmetrics'), render(s, 'openmetrics'));
});
