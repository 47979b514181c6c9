/**
 * The local history's cost on the default host series: append time per sample and bytes per sample, side by side
 * with the same samples in Prometheus's TSDB (its XOR chunks, written by `promtool tsdb create-blocks-from
 * openmetrics`, when promtool is installed) and in plain Float64Array columns (16 bytes per sample).
 *
 * The samples are real: an agent with its default collectors runs for `--steps` rounds at `--interval-ms`, and
 * every series of its store is recorded each round (as the history sees it). They are then replayed, timed, into a
 * fresh history and into the baseline.
 *
 *   npm run build && node dist/bench/history.js [--steps=360] [--interval-ms=1000] [--replays=5]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../agent/agent';
import { silentLogger } from '../agent/core/log';
import { LocalHistory, StoreView } from '../agent/history/history';
import { isStaleNaN, SeriesSamples } from '../agent/history/types';
import { defaultConfig } from '../agent/keys';
import type { Family, Series } from '../agent/store/records';
import { formatValue } from '../agent/formats/value';

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const steps = arg('steps', 360);
const intervalMs = arg('interval-ms', 1000);
const replays = arg('replays', 5);

async function record(): Promise<SeriesSamples[]> {
  const config = defaultConfig().with({
    listen: '127.0.0.1:0',
    'statsd.listen': ['udp://127.0.0.1:0'],
    'otlp.http.listen': '127.0.0.1:0',
    'otlp.grpc.listen': '127.0.0.1:0',
    'collectors.interval': intervalMs,
    'history.enabled': false,
  });
  const agent = new Agent({ config, log: silentLogger() });
  await agent.start();
  const rec = new LocalHistory({ stepMs: intervalMs, retentionMs: intervalMs * (steps + 10), maxSeries: 1e6, maxBytes: 2 ** 40, samplesPerChunk: 120 });
  for (let i = 0; i < steps; i++) {
    await new Promise((r) => setTimeout(r, intervalMs));
    rec.sample(agent.store, Date.now());
  }
  await agent.stop();
  return rec.select([{ name: '__name__', type: '=~', value: '.+' }], -Infinity, Infinity);
}

/** A store view that replays recorded rounds: the same series objects each round, their values changed. */
function replayView(recorded: SeriesSamples[]): { view: StoreView; times: number[]; setRound(t: number): void } {
  const times = [...new Set(recorded.flatMap((s) => [...s.timestampsMs]))].sort((a, b) => a - b);
  const series = recorded.map((s) => {
    const { __name__: name, ...labels } = s.labels;
    const byTime = new Map<number, number>();
    s.timestampsMs.forEach((t, i) => {
      if (!isStaleNaN(s.values[i]!)) byTime.set(t, s.values[i]!);
    });
    const fam = { name: name!, help: '', type: 'untyped', series: new Map<string, Series>(), changedGen: 0 } as unknown as Family & { series: Map<string, Series> };
    const rec = { family: fam, labels, key: JSON.stringify(labels), value: 0, dist: undefined } as unknown as Series & { value: number };
    return { fam, rec, byTime };
  });
  const view: StoreView = { families: () => series.map((s) => s.fam) };
  return {
    view,
    times,
    setRound(t) {
      for (const s of series) {
        const v = s.byTime.get(t);
        if (v === undefined) s.fam.series.delete(s.rec.key);
        else {
          s.rec.value = v;
          s.fam.series.set(s.rec.key, s.rec);
        }
      }
    },
  };
}

function replayHistory(recorded: SeriesSamples[]): { ns: number; history: LocalHistory } {
  const { view, times, setRound } = replayView(recorded);
  const history = new LocalHistory({ stepMs: intervalMs, retentionMs: intervalMs * (steps + 10), maxSeries: 1e6, maxBytes: 2 ** 40 });
  let ns = 0n;
  for (const t of times) {
    setRound(t);
    const t0 = process.hrtime.bigint();
    history.sample(view, t);
    ns += process.hrtime.bigint() - t0;
  }
  return { ns: Number(ns), history };
}

function replayColumns(recorded: SeriesSamples[]): number {
  const cols = recorded.map((s) => ({ ts: new Float64Array(s.values.length), vs: new Float64Array(s.values.length), n: 0, src: s }));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps + 2; i++) {
    for (const c of cols) {
      if (i >= c.src.values.length) continue;
      c.ts[c.n] = c.src.timestampsMs[i]!;
      c.vs[c.n++] = c.src.values[i]!;
    }
  }
  return Number(process.hrtime.bigint() - t0);
}

/** Bytes of Prometheus's blocks for the same samples (chunks and index), or undefined without promtool. */
function prometheus(recorded: SeriesSamples[], alignMs: number): { chunks: number; index: number; version: string } | undefined {
  const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'outrider-history-bench-'));
  try {
    const byName = new Map<string, SeriesSamples[]>();
    for (const s of recorded) {
      const n = s.labels.__name__!;
      byName.set(n, [...(byName.get(n) ?? []), s]);
    }
    const lines: string[] = [];
    for (const [name, list] of byName) {
      lines.push(`# TYPE ${name} unknown`);
      for (const s of list) {
        const labels = Object.entries(s.labels)
          .filter(([k]) => k !== '__name__')
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',');
        s.timestampsMs.forEach((t, i) => {
          const at = alignMs > 0 ? Math.round(t / alignMs) * alignMs : t;
          if (!isStaleNaN(s.values[i]!)) lines.push(`${name}{${labels}} ${formatValue(s.values[i]!)} ${(at / 1000).toFixed(3)}`);
        });
      }
    }
    lines.push('# EOF');
    writeFileSync(join(dir, 'in.om'), lines.join('\n') + '\n');
    const out = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), join(dir, 'data')], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`promtool failed: ${out.stderr}`);
    let chunks = 0;
    let index = 0;
    for (const block of readdirSync(join(dir, 'data'))) {
      const b = join(dir, 'data', block);
      if (!statSync(b).isDirectory()) continue;
      for (const f of readdirSync(join(b, 'chunks'))) chunks += statSync(join(b, 'chunks', f)).size;
      index += statSync(join(b, 'index')).size;
    }
    return { chunks, index, version: (version.stdout || version.stderr).split('\n')[0]! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`recording ${steps} rounds at ${intervalMs} ms of the default host series...`);
  const recorded = await record();
  const samples = recorded.reduce((n, s) => n + s.values.length, 0);
  const nonStale = recorded.reduce((n, s) => n + s.values.filter((v) => !isStaleNaN(v)).length, 0);
  console.log(`${recorded.length} series, ${samples} samples (${samples - nonStale} staleness markers)`);

  let best = Infinity;
  let history: LocalHistory | undefined;
  let bestCols = Infinity;
  for (let i = 0; i < replays; i++) {
    const r = replayHistory(recorded);
    if (r.ns < best) [best, history] = [r.ns, r.history];
    bestCols = Math.min(bestCols, replayColumns(recorded));
  }
  const parts = history!.byteParts();
  const chunkBytes = parts.sealed + parts.open;
  const perSample = chunkBytes / samples;
  const held = history!.bytes;
  console.log('\n| store | append ns/sample | bytes/sample (samples) | bytes held |');
  console.log('|---|---:|---:|---:|');
  console.log(
    `| Outrider history (XOR chunks, shared round times) | ${(best / samples).toFixed(1)} | ${perSample.toFixed(3)} (${((chunkBytes + parts.rounds) / samples).toFixed(3)} with round times) | ${held} (series estimate ${parts.series}) |`,
  );
  console.log(`| Float64Array columns (time, value) | ${(bestCols / samples).toFixed(1)} | 16.000 | ${samples * 16} |`);
  // As recorded (each round's time with its timer jitter), and aligned to the step (Prometheus aligns scrape
  // timestamps within a tolerance, so its delta-of-delta timestamps are mostly one bit).
  const prom = prometheus(recorded, 0);
  const aligned = prometheus(recorded, intervalMs);
  if (prom && aligned) {
    console.log(`| Prometheus TSDB block (${prom.version}), times as recorded | n/a | ${(prom.chunks / nonStale).toFixed(3)} (chunks file; index ${prom.index} B) | ${prom.chunks + prom.index} |`);
    console.log(`| Prometheus TSDB block, times aligned to the step | n/a | ${(aligned.chunks / nonStale).toFixed(3)} (chunks file; index ${aligned.index} B) | ${aligned.chunks + aligned.index} |`);
  } else console.log('| Prometheus TSDB block | promtool not installed | | |');
  const hour = (3_600_000 / intervalMs) * recorded.length * perSample + parts.series + (3_600_000 / intervalMs + 241) * 8;
  const promRatio =
    prom && aligned ? `, Prometheus's chunk bytes per sample ${(prom.chunks / nonStale / perSample).toFixed(2)}x ours (${(aligned.chunks / nonStale / perSample).toFixed(2)}x with aligned times)` : '';
  console.log(`\nratios: ${(16 / perSample).toFixed(1)}x smaller than 16 B/sample${promRatio}; append ${(best / bestCols).toFixed(1)}x the cost of the Float64Array baseline`);
  console.log(`one hour at this step for these ${recorded.length} series, extrapolated: ${(hour / 2 ** 20).toFixed(2)} MiB`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
