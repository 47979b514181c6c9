/**
 * Proof against a real deployment: Debian's `prometheus` scrapes node_exporter (job "node") and the Outrider agent
 * started from bin/outrider.js with its defaults (job "outrider") on this host, every 1 s; then every query of
 * node-exporter-queries.yaml (the "Node Exporter Full" dashboard and node-mixin's rules) runs through Prometheus's
 * HTTP API for each job, and whatever node_exporter's query returns, Outrider's must return too, with values within
 * the query kind's tolerance. Skips when prometheus or node_exporter is missing; under CI=true that is a failure.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { start, eventually, freePort } from '../e2e/procs';
import { haveCommand } from '../helpers/tools';
import { compare, instantiate, loadQueries, QuerySpec, summarise, Verdict } from './query-compare';

const nodeExporter = ['prometheus-node-exporter', 'node_exporter'].find((b) => haveCommand(b));
const missing = [haveCommand('prometheus') ? undefined : 'prometheus', nodeExporter ? undefined : 'prometheus-node-exporter'].filter((x) => x !== undefined);
const install = `apt-get install -y ${missing.join(' ')}`;
if (missing.length > 0 && process.env.CI === 'true') t.fail(`${missing.join(' and ')} not installed (CI must run: ${install})`);
const skip = missing.length > 0 ? `${missing.join(' and ')} not installed here (${install})` : false;

/** node_exporter 1.9's default block-device exclusion (the Debian 1.5 build predates zram in it); Outrider's default matches it. */
const diskExclude19 = '^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';
/** What Grafana picks for $__rate_interval at a 1 s scrape interval (4 × scrape), plus slack for a late scrape. */
const rateInterval = '5s';
/**
 * Values compare over the last `windowS` seconds of evaluations (rates as means, smoothing irate() and sampling
 * offsets; levels point by point against node_exporter's points up to 6 s before, hence the longer range).
 */
const windowS = 21;
const scrapesBeforeComparing = windowS + 10;

const ruleMetrics = (file: string) => new Set([...readFileSync(file, 'utf8').matchAll(/\b(node_[A-Za-z0-9_]+)\{/g)].map((m) => m[1]!));

t.test('the query list is well-formed and covers the mixin rules', async (t) => {
  const { queries } = loadQueries();
  t.ok(queries.length > 250, `${queries.length} queries`);
  t.equal(new Set(queries.map((q) => q.id)).size, queries.length, 'unique ids');
  for (const q of queries) t.notMatch(q.expr, /node-exporter"|job="node"/, `${q.id}: the job is a placeholder`);
  const repo = join(__dirname, '..', '..', '..');
  const mixinExprs = queries
    .filter((q) => q.id.startsWith('mixin.'))
    .map((q) => q.expr)
    .join('\n');
  for (const f of ['test/rules/node-mixin/node-exporter.rules.yml', 'test/query/node-mixin/node-exporter-rules.yaml']) {
    const names = [...ruleMetrics(join(repo, f))];
    t.same(
      names.filter((n) => !mixinExprs.includes(n)),
      [],
      `every metric of ${f} is queried`,
    );
  }
});

t.test('dashboard and mixin queries return the same data for Outrider as for node_exporter', { skip, timeout: 110_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'outrider-dashq-'));
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const kill = setTimeout(() => c.kill('SIGKILL'), 5_000);
            c.once('exit', () => (clearTimeout(kill), resolve()));
          }),
      ),
    );
    rmSync(tmp, { recursive: true, force: true });
  });

  // node_exporter with its default collectors, on loopback.
  const nePort = await freePort();
  const ne = spawn(nodeExporter!, [`--web.listen-address=127.0.0.1:${nePort}`, `--collector.diskstats.device-exclude=${diskExclude19}`], { stdio: ['ignore', 'ignore', 'ignore'] });
  children.push(ne);

  // The agent from the CLI, default collectors, every listener on an ephemeral loopback port.
  const agent = start(['agent', '--listen=127.0.0.1:0', `--spool.dir=${join(tmp, 'spool')}`, `--history.state-dir=${join(tmp, 'history')}`, `--rules.state-dir=${join(tmp, 'rules')}`]);
  children.push(agent.child);
  const agentUrl = new URL(String((await agent.waitFor(/agent is ready/, 30_000)).url));

  const promPort = await freePort();
  const prom = `http://127.0.0.1:${promPort}`;
  const targets = { node: `127.0.0.1:${nePort}`, outrider: agentUrl.host };
  writeFileSync(
    join(tmp, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n` +
      Object.entries(targets)
        .map(([job, target]) => `- job_name: ${job}\n  static_configs:\n  - targets: ['${target}']\n`)
        .join(''),
  );
  const p = spawn('prometheus', [`--config.file=${join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' });
  children.push(p);
  t.ok(await eventually(async () => (await fetch(`${prom}/-/ready`).catch(() => undefined))?.ok, 30_000), 'Prometheus is ready');

  const api = async (path: string, params: Record<string, string>): Promise<any> => {
    const res = await fetch(`${prom}/api/v1/${path}?${new URLSearchParams(params).toString()}`);
    const body = (await res.json()) as { status: string; data?: { result: unknown }; error?: string };
    if (body.status !== 'success') throw new Error(`${path} ${params.query}: ${body.error}`);
    return body.data!.result;
  };
  const scraped = await eventually(
    async () => ((await api('query', { query: `count_over_time(up[1m]) >= ${scrapesBeforeComparing} and up == 1` }).catch(() => [])) as unknown[]).length === 2,
    60_000,
    500,
  );
  t.ok(scraped, `both targets up and scraped ${scrapesBeforeComparing} times`);
  if (!scraped) return;

  const { queries, seriesDifferences } = loadQueries();
  const end = Math.floor(Date.now() / 1000) - 1;
  const evaluate = async (q: QuerySpec, job: keyof typeof targets) =>
    summarise(await api('query_range', { query: instantiate(q.expr, { job, node: targets[job], rateInterval }), start: String(end - windowS), end: String(end), step: '1' }));

  const tally = { compared: 0, noData: [] as string[], excluded: [] as string[], outriderOnly: [] as string[] };
  for (const q of queries) {
    const v: Verdict = compare(q, await evaluate(q, 'node'), await evaluate(q, 'outrider'), seriesDifferences, windowS + 1);
    if (v.status === 'no-data') {
      tally.noData.push(q.needs ? `${q.id} (needs ${q.needs})` : q.id);
      if (v.outriderSeries > 0) tally.outriderOnly.push(q.id);
      continue;
    }
    if (v.status === 'excluded') {
      tally.excluded.push(`${q.id} (${v.problems.length === 0 ? 'agrees here' : v.problems[0]})`);
      continue;
    }
    tally.compared++;
    t.same(v.problems, [], `${q.id}: ${v.series} series agree (${q.kind})`);
  }
  t.comment(`${queries.length} queries: ${tally.compared} compared, ${tally.noData.length} without data from node_exporter on this host, ${tally.excluded.length} excluded`);
  t.comment(`without data from node_exporter: ${tally.noData.join('; ')}`);
  if (tally.excluded.length > 0) t.comment(`excluded: ${tally.excluded.join('; ')}`);
  if (tally.outriderOnly.length > 0) t.comment(`data from Outrider only: ${tally.outriderOnly.join(' ')}`);
  // A run where node_exporter answered next to nothing proves nothing.
  t.ok(tally.compared >= 150, `at least 150 queries compared (${tally.compared})`);
});
