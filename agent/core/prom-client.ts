/**
 * prom-client's metric classes and its runtime metrics, loaded file by file. Its index also loads the Pushgateway
 * (http, https), the cluster aggregator and, for the CPU metric's exemplars, @opentelemetry/api: ~10 MiB of RSS
 * that the agent never uses (bench/README.md, "Footprint"). The process CPU counters are registered here instead,
 * with prom-client's names and help. The classes are the very ones the index exports (same files, one module cache).
 */
import type * as Prom from 'prom-client';

/* eslint-disable @typescript-eslint/no-require-imports */
export const Registry = require('prom-client/lib/registry') as typeof Prom.Registry;
export type Registry = Prom.Registry;
export const Counter = require('prom-client/lib/counter') as typeof Prom.Counter;
export type Counter<T extends string = string> = Prom.Counter<T>;
export const Gauge = require('prom-client/lib/gauge') as typeof Prom.Gauge;
export type Gauge<T extends string = string> = Prom.Gauge<T>;
export const Histogram = require('prom-client/lib/histogram') as typeof Prom.Histogram;
export type Histogram<T extends string = string> = Prom.Histogram<T>;

type DefaultMetric = (registry: Prom.Registry, config: object) => void;

/** Stands for prom-client's event loop lag file in the list below: `config.loopLag` registers those series instead. */
const eventLoopLag = (): DefaultMetric => require('prom-client/lib/metrics/eventLoopLag');

/**
 * prom-client's default metrics but the CPU one, in its order. Each require names its file in full, so a bundler
 * (scripts/bundle.js) finds it.
 */
const runtimeMetricFiles: Array<() => DefaultMetric> = [
  () => require('prom-client/lib/metrics/processStartTime'),
  () => require('prom-client/lib/metrics/osMemoryHeap'),
  () => require('prom-client/lib/metrics/processOpenFileDescriptors'),
  () => require('prom-client/lib/metrics/processMaxFileDescriptors'),
  eventLoopLag,
  ...(typeof (process as { getActiveResourcesInfo?: unknown }).getActiveResourcesInfo === 'function' ? [() => require('prom-client/lib/metrics/processResources')] : []),
  () => require('prom-client/lib/metrics/processHandles'),
  () => require('prom-client/lib/metrics/processRequests'),
  () => require('prom-client/lib/metrics/heapSizeAndUsed'),
  () => require('prom-client/lib/metrics/heapSpacesSizeAndUsed'),
  () => require('prom-client/lib/metrics/version'),
  () => require('prom-client/lib/metrics/gc'),
];
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * What prom-client's collectDefaultMetrics registers, the same series, without the modules it drags in. `loopLag`,
 * when given, registers the event loop lag series in place of prom-client's (which runs Node's loop-delay histogram
 * at `eventLoopMonitoringPrecision`).
 */
export function collectRuntimeMetrics(registry: Prom.Registry, config: { eventLoopMonitoringPrecision?: number; loopLag?: (registry: Prom.Registry) => void } = {}): void {
  const cfg = { eventLoopMonitoringPrecision: 10, ...config };
  registerCpu(registry);
  for (const f of runtimeMetricFiles) {
    if (f === eventLoopLag && config.loopLag) config.loopLag(registry);
    else f()(registry, cfg);
  }
}

function registerCpu(registry: Prom.Registry): void {
  let last = process.cpuUsage();
  const user = new Counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    registers: [registry],
    // One metric's collect sets all three, as prom-client's does.
    collect() {
      const now = process.cpuUsage();
      const u = now.user - last.user;
      const s = now.system - last.system;
      last = now;
      user.inc(u / 1e6);
      system.inc(s / 1e6);
      total.inc((u + s) / 1e6);
    },
  });
  const system = new Counter({ name: 'process_cpu_system_seconds_total', help: 'Total system CPU time spent in seconds.', registers: [registry] });
  const total = new Counter({ name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', registers: [registry] });
}

/** A counter's own table (prom-client's `hashMap`: its typings leave it out). */
interface CounterTable {
  hashMap: Record<string, { value: number }>;
}

/**
 * One label set of a counter, incremented or set in place: its entry in the counter's table is kept, so an update is
 * an assignment instead of prom-client's label hash, label check and table lookup (for a counter a hot path updates
 * with the same labels every time). Falls back to `inc(labels, n)` when the entry is gone (a `reset()`, a `remove()`).
 */
export class CounterCell {
  readonly #counter: Counter;
  readonly #labels: Record<string, string>;
  #hash: string | undefined;
  #entry: { value: number } | undefined;

  constructor(counter: Counter, labels: Record<string, string>) {
    this.#counter = counter;
    this.#labels = labels;
  }

  inc(n = 1): void {
    this.#live().value += n;
  }

  /** The label set's value made `n` (contract counts: a total read from elsewhere). */
  set(n: number): void {
    this.#live().value = n;
  }

  /** The label set taken out of the counter (if its entry is still this cell's). */
  remove(): void {
    const table = (this.#counter as unknown as CounterTable).hashMap;
    if (this.#entry !== undefined && table[this.#hash!] === this.#entry) delete table[this.#hash!];
    this.#entry = undefined;
  }

  /** The entry in the counter's table, made again (at 0 more) when it is gone. */
  #live(): { value: number } {
    const table = (this.#counter as unknown as CounterTable).hashMap;
    const e = this.#entry;
    if (e !== undefined && table[this.#hash!] === e) return e;
    const { labelHash } = this.#counter.inc(this.#labels, 0) as unknown as { labelHash: string };
    this.#hash = labelHash;
    return (this.#entry = table[labelHash]!);
  }
}
