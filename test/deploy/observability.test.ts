/**
 * config/prometheus and config/grafana: the alerting rules pass `promtool check rules` and their own
 * `promtool test rules`; every metric the rules and dashboards name is one a running agent or aggregator exports;
 * and every dashboard panel's query returns data from a real Prometheus (Debian's `prometheus`) scraping a real
 * agent that reports to a real aggregator, which forwards to that Prometheus by remote write.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { startAggregator } from '../aggregator/helpers';
import { eventually, freePort } from '../e2e/procs';
import { startAgent } from '../helpers/agent';
import { parseExposition } from '../helpers/prom-parse';
import { haveCommand, requireTool } from '../helpers/tools';

const config = join(__dirname, '..', '..', '..', 'config');
const rulesDir = join(config, 'prometheus');
const grafanaDir = join(config, 'grafana');
type K = Record<string, any>;

const have = haveCommand('promtool') && haveCommand('prometheus');
const tool = requireTool(have, 'prometheus and promtool (Debian package prometheus)');

interface Query {
  where: string;
  expr: string;
}

function ruleQueries(): Query[] {
  const out: Query[] = [];
  for (const f of readdirSync(rulesDir).filter((f) => /\.ya?ml$/.test(f) && !f.includes('.test.'))) {
    const doc = parse(readFileSync(join(rulesDir, f), 'utf8')) as { groups: Array<{ rules: K[] }> };
    for (const g of doc.groups) for (const r of g.rules) out.push({ where: `${f} ${r.alert ?? r.record}`, expr: String(r.expr) });
  }
  return out;
}

function dashboards(): Array<{ file: string; d: K }> {
  return readdirSync(grafanaDir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({ file, d: JSON.parse(readFileSync(join(grafanaDir, file), 'utf8')) as K }));
}

function panelQueries(): Query[] {
  const out: Query[] = [];
  for (const { file, d } of dashboards()) {
    for (const p of d.panels as K[]) for (const tg of p.targets ?? []) out.push({ where: `${file} "${p.title}" ${tg.refId}`, expr: tg.expr });
    for (const v of d.templating.list as K[]) if (v.type === 'query') out.push({ where: `${file} variable ${v.name}`, expr: /^label_values\((.*), \w+\)$/.exec(v.definition)![1]! });
  }
  return out;
}

/** Metric names in an expression: the project's own families and the runtime families its telemetry exports. */
const metricNames = (expr: string) => [...expr.matchAll(/\b(?:outrider|node_scrape|process|nodejs)_[a-z0-9_]+\b/g)].map((m) => m[0]);

t.test('dashboards are well-formed', async (t) => {
  const ds = dashboards();
  t.same(ds.map((x) => x.file).sort(), ['outrider-agent.json', 'outrider-aggregator.json']);
  t.equal(new Set(ds.map((x) => x.d.uid)).size, ds.length, 'unique uids');
  for (const { file, d } of ds) {
    t.ok(d.title && d.schemaVersion >= 36, `${file}: titled, a current schema`);
    const ids = (d.panels as K[]).map((p) => p.id);
    t.equal(new Set(ids).size, ids.length, `${file}: unique panel ids`);
    for (const p of d.panels as K[]) {
      if (p.type === 'row') continue;
      t.equal(p.datasource.uid, '${datasource}', `${file} "${p.title}": the dashboard's data source variable`);
      t.ok(p.targets.length > 0 && p.description, `${file} "${p.title}": queries and a description`);
    }
  }
});

t.test('rules pass promtool check and their unit tests', tool, async (t) => {
  const check = spawnSync('promtool', ['check', 'rules', 'outrider-alerts.yml'], { cwd: rulesDir, encoding: 'utf8' });
  t.equal(check.status, 0, `promtool check rules: ${check.stdout}${check.stderr}`);
  t.match(check.stdout, /SUCCESS: \d+ rules found/);
  const test = spawnSync('promtool', ['test', 'rules', 'outrider-alerts.test.yml'], { cwd: rulesDir, encoding: 'utf8' });
  t.equal(test.status, 0, `promtool test rules: ${test.stdout}${test.stderr}`);
  const alerts = ruleQueries().map((q) => q.where.split(' ')[1]);
  const tested = new Set([...readFileSync(join(rulesDir, 'outrider-alerts.test.yml'), 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
  t.same(
    alerts.filter((a) => !tested.has(a)),
    [],
    'every alert has a unit test',
  );
  for (const a of ['OutriderSpoolBacklog', 'OutriderReportDroppingBatches', 'OutriderDeliveryLag', 'OutriderCollectorFailing']) t.ok(alerts.includes(a), a);
});

t.test('every query runs against a real Prometheus scraping a real agent and aggregator', tool, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'outrider-observability-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const promPort = await freePort();
  const prom = `http://127.0.0.1:${promPort}`;
  const agg = await startAggregator(join(tmp, 'agg'), { remoteWrite: [`${prom}/api/v1/write`], forwardIntervalMs: 1000, runtimeMetrics: true });
  t.teardown(() => agg.stop());
  const agent = await startAgent({ 'report.endpoints': [agg.url()], 'report.interval': 500, 'spool.dir': join(tmp, 'spool') });
  t.teardown(() => agent.stop());

  // Names: what the running processes expose, plus what their telemetry declares (a labelled counter appears in
  // /metrics only with its first increment, e.g. drops).
  const names = new Set<string>();
  for (const url of [agent.url, agg.url()]) for (const n of parseExposition(await (await fetch(`${url}/metrics`)).text()).keys()) names.add(n);
  for (const tel of [agent.agent.telemetry, agg.telemetry]) for (const m of await tel.registry.getMetricsAsJSON()) names.add(m.name);
  const known = (n: string) => names.has(n) || names.has(n.replace(/_(bucket|sum|count)$/, ''));
  const all = [...ruleQueries(), ...panelQueries()];
  for (const q of all) {
    const ns = metricNames(q.expr);
    t.ok(ns.length > 0, `${q.where}: names a metric`);
    t.same(
      ns.filter((n) => !known(n)),
      [],
      `${q.where}: every metric is exported`,
    );
  }

  writeFileSync(
    join(tmp, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n` +
      `- job_name: outrider\n  static_configs:\n  - targets: ['${new URL(agent.url).host}']\n` +
      `- job_name: outrider-aggregator\n  static_configs:\n  - targets: ['${new URL(agg.url()).host}']\n`,
  );
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--web.enable-remote-write-receiver'],
    { stdio: 'ignore' },
  );
  // Prometheus writes into tmp until it has exited: wait for that before tmp is removed (else rmSync races it).
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  });
  t.ok(await eventually(async () => (await fetch(`${prom}/-/ready`).catch(() => undefined))?.ok, 30_000), 'Prometheus is ready');
  const query = async (expr: string): Promise<K[] | undefined> => {
    const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`).catch(() => undefined);
    if (!res?.ok) return undefined;
    return ((await res.json()) as { data: { result: K[] } }).data.result;
  };
  // Enough scrapes of both jobs for rates over the panels' window.
  const scraped = await eventually(async () => ((await query('count_over_time(up[1m]) >= 8 and up == 1')) ?? []).length === 2, 40_000, 500);
  t.ok(scraped, 'both targets scraped 8 times');

  for (const q of panelQueries()) {
    // Each dashboard against its own job only, as a user picks it.
    const job = q.where.startsWith('outrider-aggregator.json') ? 'outrider-aggregator' : 'outrider';
    const expr = q.expr
      .replace(/\$job/g, job)
      .replace(/\$instance/g, '.+')
      .replace(/\$__rate_interval/g, '8s');
    const r = await query(expr);
    t.ok(r && r.length > 0, `${q.where}: returns data (${expr})`);
  }
  // The rules' expressions evaluate (an empty result is an alert not firing).
  for (const q of ruleQueries()) t.ok(await query(q.expr), `${q.where}: evaluates`);
});
