/**
 * Rule evaluation cost of the node-exporter alerts and recording rules of node-mixin (test/rules/node-mixin/, 29
 * rules in 2 groups) on the default host series: the time of one evaluation of every group over a full local history
 * (default step and retention), and that as a share of one core at the rules' interval (1m, Prometheus's default
 * evaluation interval, which the published rules assume). Side by side, when installed, Prometheus evaluates the same
 * rules over the same samples (its TSDB built from them with promtool; every series labelled job="node-exporter" as
 * its scrape would, so the published selectors match unchanged; on the agent they are removed, as its local series
 * carry no job label), and its own rule group durations are read from its /metrics.
 *
 *   npm run build && node dist/bench/rules.js [--minutes=60] [--rounds=20]
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../agent/agent';
import { silentLogger } from '../agent/core/log';
import { Telemetry } from '../agent/core/telemetry';
import { formatValue } from '../agent/formats/value';
import { LocalHistory } from '../agent/history/history';
import { isStaleNaN } from '../agent/history/types';
import { defaultConfig } from '../agent/keys';
import { PromqlEngine } from '../agent/query/engine';
import { parseRuleFile } from '../agent/rules/file';
import { RuleGroup } from '../agent/rules/group';
import { ruleMetrics } from '../agent/rules/metrics';
import { Store } from '../agent/store/store';
import { freePort } from './proc-sample';

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const minutes = arg('minutes', 60);
const rounds = arg('rounds', 20);
const stepMs = 1000;
const intervalMs = 60_000;
const rulesPath = join(__dirname, '..', '..', 'test', 'rules', 'node-mixin', 'node-exporter.rules.yml');

async function fill(endMs: number): Promise<LocalHistory> {
  const config = defaultConfig().with({
    listen: '127.0.0.1:0',
    'statsd.listen': ['udp://127.0.0.1:0'],
    'otlp.http.listen': '127.0.0.1:0',
    'otlp.grpc.listen': '127.0.0.1:0',
    'history.enabled': false,
    'collectors.interval': 1000,
  });
  const agent = new Agent({ config, log: silentLogger() });
  await agent.start();
  await new Promise((r) => setTimeout(r, 2500));
  const history = new LocalHistory({ stepMs, retentionMs: (minutes + 1) * 60_000, maxSeries: 1e6, maxBytes: 2 ** 40 });
  const steps = (minutes * 60_000) / stepMs;
  // The store as collected, sampled at every step of the window (values held: the cost does not depend on them).
  for (let i = 0; i <= steps; i++) history.sample(agent.store, endMs - (steps - i) * stepMs);
  await agent.stop();
  return history;
}

function ourCost(history: LocalHistory, endMs: number): { cpuMs: number; wallMs: number; series: number; problems: number } {
  const text = readFileSync(rulesPath, 'utf8')
    .replace(/job="node-exporter",\s*/g, '')
    .replace(/,\s*job="node-exporter"/g, '')
    .replace(/\{job="node-exporter"\}/g, '');
  const engine = new PromqlEngine(history);
  const { groups, problems } = parseRuleFile(rulesPath, text, (e) => engine.compile(e));
  const store = new Store();
  const metrics = ruleMetrics(new Telemetry({ runtimeMetrics: false }));
  const rg = groups.map((g) => new RuleGroup(g, { store, log: silentLogger(), metrics, intervalMs, resendDelayMs: 60_000, externalLabels: {}, externalUrl: '', notify: () => undefined }));
  for (const g of rg) g.evaluate(endMs); // warm-up
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < rounds; i++) for (const g of rg) g.evaluate(endMs - (rounds - i) * 1000);
  const c = process.cpuUsage(c0);
  return { cpuMs: (c.user + c.system) / 1000 / rounds, wallMs: (performance.now() - w0) / rounds, series: store.seriesCount, problems: problems.length };
}

/** Prometheus's own evaluation time of the same rules over the same samples (seconds per evaluation of all groups). */
async function prometheusCost(history: LocalHistory, endMs: number): Promise<{ wallMs: number; series: number; version: string } | undefined> {
  const version = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0 || spawnSync('promtool', ['--version']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'outrider-rules-bench-'));
  let proc: ChildProcess | undefined;
  try {
    const lines: string[] = [];
    const all = history.select([{ name: '__name__', type: '=~', value: '.+' }], -Infinity, Infinity);
    const byName = new Map<string, typeof all>();
    for (const s of all) byName.set(s.labels.__name__!, [...(byName.get(s.labels.__name__!) ?? []), s]);
    for (const [name, list] of byName) {
      lines.push(`# TYPE ${name} unknown`);
      for (const s of list) {
        const labels = Object.entries({ ...s.labels, job: 'node-exporter', instance: 'bench' })
          .filter(([k]) => k !== '__name__')
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',');
        s.timestampsMs.forEach((t, i) => {
          if (!isStaleNaN(s.values[i]!)) lines.push(`${name}{${labels}} ${formatValue(s.values[i]!)} ${(t / 1000).toFixed(3)}`);
        });
      }
    }
    lines.push('# EOF');
    writeFileSync(join(dir, 'in.om'), lines.join('\n') + '\n');
    const out = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), join(dir, 'data')], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`promtool failed: ${out.stderr}`);
    writeFileSync(join(dir, 'prometheus.yml'), `global:\n  evaluation_interval: 2s\nrule_files: [${JSON.stringify(rulesPath)}]\n`);
    const port = await freePort();
    proc = spawn(
      'prometheus',
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=15d'],
      { stdio: 'ignore' },
    );
    const url = `http://127.0.0.1:${port}`;
    const read = async (): Promise<number | undefined> => {
      try {
        const text = await (await fetch(`${url}/metrics`)).text();
        const vals = [...text.matchAll(/^prometheus_rule_group_last_duration_seconds\{[^}]*\} (\S+)$/gm)].map((m) => Number(m[1]));
        return vals.length === 2 && vals.every((v) => v > 0) ? vals.reduce((a, b) => a + b, 0) : undefined;
      } catch {
        return undefined;
      }
    };
    const samples: number[] = [];
    const deadline = Date.now() + 60_000;
    let last: number | undefined;
    while (samples.length < 10 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000));
      const v = await read();
      if (v !== undefined && v !== last) samples.push(v);
      last = v;
    }
    const q = (await (await fetch(`${url}/api/v1/query?query=count({__name__=~"instance.*:.*"})`)).json().catch(() => undefined)) as
      { data?: { result?: Array<{ value: [number, string] }> } } | undefined;
    samples.sort((a, b) => a - b);
    return samples.length === 0
      ? undefined
      : { wallMs: samples[Math.floor(samples.length / 2)]! * 1000, series: Number(q?.data?.result?.[0]?.value[1] ?? 0), version: (version.stdout || version.stderr).split('\n')[0]! };
  } finally {
    proc?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const endMs = Math.floor(Date.now() / 1000) * 1000;
  console.log(`filling a ${minutes} min history of the default host series at ${stepMs} ms...`);
  const history = await fill(endMs);
  const ours = ourCost(history, endMs);
  if (ours.problems > 0) throw new Error('the rules did not load');
  console.log(
    `outrider: ${ours.cpuMs.toFixed(2)} ms CPU (${ours.wallMs.toFixed(2)} ms wall) per evaluation of both groups; ${((ours.cpuMs / intervalMs) * 100).toFixed(4)} % of a core at a 1m interval; ${ours.series} recorded series`,
  );
  const prom = await prometheusCost(history, endMs);
  if (!prom) console.log('prometheus: not installed (Debian prometheus and promtool), no side-by-side figure');
  else
    console.log(
      `prometheus (${prom.version}): ${prom.wallMs.toFixed(2)} ms per evaluation of both groups (median of its prometheus_rule_group_last_duration_seconds); ${((prom.wallMs / intervalMs) * 100).toFixed(4)} % at 1m; outrider/prometheus = ${(ours.wallMs / prom.wallMs).toFixed(2)}`,
    );
}

void main();
