/**
 * The exposition as real consumers read it: promtool (Prometheus' own parser and linter) on the text format, and
 * the reference OpenMetrics parser (prometheus_client, strict) on the OpenMetrics format.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { get, startAgent } from '../helpers/agent';
import { haveCommand, pythonWithPrometheusClient, requireTool } from '../helpers/tools';

// Lint findings node_exporter's own names carry (camelCase meminfo/netstat/vmstat fields, entropy in bits).
function acceptedFinding(line: string): boolean {
  const [name, ...rest] = line.split(' ');
  const finding = rest.join(' ');
  if (!name) return true;
  if (/^node_/.test(name) && /should be written in 'snake_case' not 'camelCase'/.test(finding)) return true;
  if (/^node_entropy_.*_bits$/.test(name) && /instead of "bits"/.test(finding)) return true;
  return false;
}

const py = pythonWithPrometheusClient();

async function eventually(check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

t.test('validators', async (t) => {
  // One collection; the history still steps each second (its step would follow the interval), so the analysis runs.
  const a = await startAgent({ 'collectors.interval': 60_000, 'history.step': 1000 });
  t.teardown(() => a.stop());
  // Exercise every metric type, escapes and odd values, next to the real host collectors.
  const store = a.agent.store;
  store.setDist(
    { name: 'app_latency_seconds', help: 'Latency with "quotes" and \\ backslash.', type: 'summary' },
    { route: '/a "b"' },
    {
      count: 10,
      sum: 1.5,
      quantiles: [
        [0.5, 0.1],
        [0.99, 0.4],
      ],
    },
  );
  store.setDist(
    { name: 'app_size_bytes', help: 'Sizes.', type: 'histogram' },
    { route: 'x' },
    {
      count: 5,
      sum: 500,
      buckets: [
        [100, 1],
        [1000, 5],
      ],
    },
  );
  store.set({ name: 'app_requests_total', help: 'Requests.', type: 'counter' }, { code: '200' }, 7);
  store.set({ name: 'app_temperature_celsius', help: 'Temperature.', type: 'gauge' }, {}, -Infinity);
  store.set({ name: 'app_untyped', help: 'Untyped.', type: 'untyped' }, { v: 'multi\nline' }, NaN);
  // The local analysis exposes its families after its first round (on the first history sample): wait for them, so
  // they are part of what the parsers read (a gauge of its once collided with a counter's OpenMetrics name).
  const ran = await eventually(async () => /^outrider_analysis_series_left_out /m.test((await get(`${a.url}/metrics`)).text), 15_000);
  t.ok(ran, 'the local analysis families are exposed');

  await t.test('promtool check metrics accepts the text output', requireTool(haveCommand('promtool', ['--version']), 'promtool (Debian package prometheus)'), async (t) => {
    const body = (await get(`${a.url}/metrics`)).text;
    const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    const findings = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
    t.not(r.status, 1, `no parse error: ${findings.join('\n')}`);
    const unexpected = findings.filter((l) => !acceptedFinding(l));
    t.same(unexpected, [], 'no lint finding beyond the ones node_exporter names carry');
  });

  await t.test('the strict OpenMetrics parser accepts the OpenMetrics output', requireTool(py !== undefined, 'python3-prometheus-client'), async (t) => {
    const res = await get(`${a.url}/metrics`, { Accept: 'application/openmetrics-text; version=1.0.0' });
    const script = [
      'import sys, json',
      'from prometheus_client.openmetrics.parser import text_string_to_metric_families',
      'fams = list(text_string_to_metric_families(sys.stdin.read()))',
      'print(json.dumps({f.name: [f.type, len(f.samples)] for f in fams}))',
    ].join('\n');
    const r = spawnSync(py!, ['-c', script], { input: res.text, encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    const fams = JSON.parse(r.stdout) as Record<string, [string, number]>;
    t.same(fams.app_requests, ['counter', 1], 'counter family named without _total');
    t.same(fams.app_latency_seconds, ['summary', 4]);
    t.same(fams.app_size_bytes, ['histogram', 5]);
    t.same(fams.app_untyped, ['unknown', 1]);
    t.ok(fams.node_load1, 'host metrics present');
  });
});
