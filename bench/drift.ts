/**
 * Drift cost per distribution per evaluation: the drift monitor's evaluation (merge the window slots of each series'
 * sketch buckets, then KS and Wasserstein-1 in one walk over the buckets) side by side with the same two distances
 * computed on the raw samples of the same windows with a sort (what a sample-keeping implementation pays).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/drift.js [series=200] [samples_per_interval=1000] [window_intervals=10]
 */
import { type Masses, ksDistance, wassersteinDistance } from '../agent/analysis/drift/distance';
import { DriftMonitor } from '../agent/analysis/drift/monitor';
import { silentLogger } from '../agent/core/log';
import { Telemetry } from '../agent/core/telemetry';
import { DDSketch } from '../agent/store/sketch';
import { Store } from '../agent/store/store';

const series = Number(process.argv[2] ?? 200);
const perInterval = Number(process.argv[3] ?? 1000);
const w = Number(process.argv[4] ?? 10);
const rounds = 5;

let seed = 7;
function rand(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed + 0.5) / 2147483648;
}
function latency(shift: number): number {
  const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  return Math.exp(-3 + shift + 0.6 * z);
}

const store = new Store({ maxSeries: series * 4 });
const mon = new DriftMonitor(
  { enabled: true, intervalMs: 60_000, windowIntervals: w, minCount: 1, ksThreshold: 0, maxSeries: series },
  { store, telemetry: new Telemetry({ runtimeMetrics: false }), log: silentLogger() },
);
const desc = { name: 'req_seconds', help: 'h', type: 'summary' as const };
// Raw samples of the last 2w intervals per series (the peer's input): a ring of per-interval arrays.
const raw: Float64Array[][] = Array.from({ length: series }, () => []);

function interval(k: number): void {
  for (let s = 0; s < series; s++) {
    const sk = new DDSketch();
    const xs = new Float64Array(perInterval);
    const shift = k >= 2 * w && s % 2 === 0 ? 0.2 : 0;
    for (let i = 0; i < perInterval; i++) sk.add((xs[i] = latency(shift)));
    store.setDist(desc, { series: String(s) }, { count: sk.count, sum: sk.sum, sketch: sk });
    raw[s]!.push(xs);
    if (raw[s]!.length > 2 * w) raw[s]!.shift();
  }
  mon.ingest();
}

function sortedMasses(parts: readonly Float64Array[]): Masses {
  const xs = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    xs.set(p, o);
    o += p.length;
  }
  xs.sort();
  return { xs, ws: new Float64Array(xs.length).fill(1), total: xs.length };
}

for (let k = 0; k < 2 * w - 1; k++) {
  interval(k);
  mon.evaluate(k);
}
let sketchNs = 0;
let rawNs = 0;
let check = 0;
for (let r = 0; r < rounds; r++) {
  interval(2 * w - 1 + r);
  let t0 = process.hrtime.bigint();
  const res = mon.evaluate(r);
  sketchNs += Number(process.hrtime.bigint() - t0);
  t0 = process.hrtime.bigint();
  for (let s = 0; s < series; s++) {
    const a = sortedMasses(raw[s]!.slice(0, w));
    const b = sortedMasses(raw[s]!.slice(w));
    check += ksDistance(b, a) + wassersteinDistance(b, a);
  }
  rawNs += Number(process.hrtime.bigint() - t0);
  if (res.length !== series) throw new Error(`evaluated ${res.length} of ${series} series`);
  for (const x of res) check -= x.ks + x.wasserstein;
}
const perSketch = sketchNs / rounds / series / 1000;
const perRaw = rawNs / rounds / series / 1000;
console.log(`series=${series} samples/interval=${perInterval} window=${w} intervals (${w * perInterval} samples per window)`);
console.log(`sketch buckets (drift monitor evaluate): ${perSketch.toFixed(1)} µs per distribution per evaluation`);
console.log(`raw samples with a sort (peer):          ${perRaw.toFixed(1)} µs per distribution per evaluation`);
console.log(`ratio raw / sketch: ${(perRaw / perSketch).toFixed(1)}x; Σ raw − Σ sketch over all ${2 * rounds * series} distances: ${check.toFixed(3)} (the sketch error, signed)`);
console.log(`memory per distribution: ${2 * w} slots of sketch buckets vs ${2 * w * perInterval * 8} bytes of raw samples`);
