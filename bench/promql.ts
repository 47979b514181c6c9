/**
 * The node-mixin recording rules (test/query/node-mixin/) evaluated by the engine over a history of this host's
 * default series, side by side with promtool evaluating the same rules on the same series in the same run.
 *
 * The host's series come from one collection by the default host collectors, labelled job="node" as a Prometheus
 * scraping node_exporter would label them; counters rise linearly, gauges hold their value. Both engines get the
 * series as one `promtool test rules` input (the same expansion notation), over `--minutes` at `--step`, with the
 * rules evaluated every minute. promtool's cost per evaluation is its run time with the rules less its run time
 * without them, divided by the evaluations; the engine's is timed directly (the whole group at one instant).
 *
 *   npm run build && node dist/bench/promql.js [--step=15] [--minutes=60] [--rounds=3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { resolvePaths } from '../agent/collectors/collector';
import { hostCollectors } from '../agent/collectors/host/index';
import { CollectorRunner } from '../agent/collectors/runner';
import { Config } from '../agent/config/config';
import { silentLogger } from '../agent/core/log';
import { agentKeys } from '../agent/keys';
import { PromqlEngine } from '../agent/query/engine';
import { Store } from '../agent/store/store';
import { loadTestFile } from '../test/query/promtool-format';

const arg = (name: string, dflt: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const stepS = arg('step', 15);
const minutes = arg('minutes', 60);
const rounds = arg('rounds', 3);
const rulesPath = resolve(__dirname, '../../test/query/node-mixin/node-exporter-rules.yaml');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function seriesText(labels: Record<string, string>): string {
  const { __name__, ...rest } = labels;
  return `${__name__}{${Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`)
    .join(', ')}}`;
}

async function hostSeries(): Promise<{ series: string; values: string }[]> {
  const config = Config.defaults(agentKeys);
  const collectors = hostCollectors();
  const store = new Store();
  const runner = new CollectorRunner({ store, config, paths: resolvePaths(config), log: silentLogger(), collectors });
  await runner.collectOnce();
  for (const c of collectors) await c.close?.();
  const n = Math.round((minutes * 60) / stepS);
  const out: { series: string; values: string }[] = [];
  for (const fam of store.families()) {
    if (fam.type !== 'counter' && fam.type !== 'gauge' && fam.type !== 'untyped') continue;
    for (const s of fam.series.values()) {
      if (!Number.isFinite(s.value)) continue;
      const labels = { ...s.labels, __name__: fam.name, job: 'node', instance: 'localhost:9100' };
      const start = Math.round(s.value * 1000) / 1000;
      // counters rise by about 1 % of their value per step (at least 1), gauges hold
      const slope = fam.type === 'counter' ? Math.max(1, Math.round(start / 100)) : 0;
      out.push({ series: seriesText(labels), values: slope ? `${start}+${slope}x${n}` : `${start}x${n}` });
    }
  }
  return out;
}

function promtoolSeconds(file: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`promtool failed: ${r.stdout}${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
  const input = await hostSeries();
  const rules = (parse(readFileSync(rulesPath, 'utf8')) as { groups: { rules: { record: string; expr: string }[] }[] }).groups[0]!.rules;
  const dir = mkdtempSync(join(tmpdir(), 'promql-bench-'));
  const evaluations = minutes + 1;
  try {
    const test = (withRules: boolean) => ({
      ...(withRules ? { rule_files: [rulesPath] } : {}),
      evaluation_interval: '1m',
      tests: [
        {
          interval: `${stepS}s`,
          input_series: input,
          promql_expr_test: [{ expr: 'vector(1)', eval_time: `${minutes}m`, exp_samples: [{ labels: '{}', value: 1 }] }],
        },
      ],
    });
    writeFileSync(join(dir, 'with.yaml'), stringify(test(true), { lineWidth: 0 }));
    writeFileSync(join(dir, 'without.yaml'), stringify(test(false), { lineWidth: 0 }));

    // The engine: the same input, the group evaluated at each minute; the first rule's output is recorded first, as
    // the third rule reads it.
    const group = loadTestFile(join(dir, 'with.yaml'))[0]!;
    const engine = new PromqlEngine(group.history);
    const numCpu = engine.compile(rules[0]!.expr);
    const recorded = new Map<string, [number, number][]>();
    for (let m = 0; m <= minutes; m++) {
      const r = numCpu.instant(m * 60_000);
      for (const s of r.type === 'vector' ? r.samples : []) {
        const key = JSON.stringify(s.labels);
        if (!recorded.has(key)) recorded.set(key, []);
        recorded.get(key)!.push([m * 60_000, s.value]);
      }
    }
    for (const [key, pts] of recorded) group.history.add({ ...JSON.parse(key), __name__: rules[0]!.record }, pts);
    const compiled = rules.map((r) => engine.compile(r.expr));
    let outSeries = 0;
    const ours: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const t0 = process.hrtime.bigint();
      for (let m = 0; m <= minutes; m++) {
        for (const q of compiled) {
          const r = q.instant(m * 60_000);
          if (round === 0 && m === minutes) outSeries += r.type === 'vector' ? r.samples.length : 1;
        }
      }
      ours.push(Number(process.hrtime.bigint() - t0) / 1e6 / evaluations);
    }
    console.log(
      `host series: ${input.length}, step ${stepS}s over ${minutes}m (${input.length * Math.round((minutes * 60) / stepS + 1)} samples), ${rules.length} rules, ${outSeries} output series per evaluation`,
    );
    console.log(`outrider: ${median(ours).toFixed(3)} ms per evaluation of the group (median of ${rounds} rounds of ${evaluations})`);

    if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status !== 0) {
      console.log('promtool: not installed, no side-by-side figure (apt-get install -y prometheus)');
      return;
    }
    const withT: number[] = [];
    const withoutT: number[] = [];
    for (let round = 0; round < rounds; round++) {
      withoutT.push(promtoolSeconds(join(dir, 'without.yaml')));
      withT.push(promtoolSeconds(join(dir, 'with.yaml')));
    }
    const perEval = ((median(withT) - median(withoutT)) * 1000) / evaluations;
    console.log(`promtool: ${median(withT).toFixed(3)} s with the rules, ${median(withoutT).toFixed(3)} s without (median of ${rounds}); ${perEval.toFixed(3)} ms per evaluation of the group`);
    console.log(`ratio (outrider / promtool per evaluation): ${(median(ours) / perEval).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
