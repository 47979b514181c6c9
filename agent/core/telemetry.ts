/**
 * The agent's own telemetry. prom-client with a registry of our own (never the global one) holds the process and
 * Node.js runtime metrics and every `outrider_*` component metric; a collector (built by the composition root) writes it
 * into the store on the collection interval through a `TelemetryWriter` (telemetry-writer.ts: a handle per series,
 * only changed values written), so it is served from the same /metrics as everything else (and the render cache
 * holds). `snapshot()` gives the same series in the store's model (the aggregator copies its own telemetry with it).
 *
 * The runtime metrics (`process_*`, `nodejs_*`: heap spaces, event loop lag percentiles, GC, /proc/self reads) cost
 * more to gather than every component metric together, so they are gathered again only once `runtimeRefreshMs`
 * (default 5 s) has passed since their last gathering and reused in between; the component metrics are gathered
 * every round (bench/README.md, Footprint, "Idle CPU").
 *
 * The event loop lag percentiles come, with `loopLag: 'timers'` (the agent), from the lateness of the process's own
 * repeating timers (`tickLateness`, loop-lag.ts): no timer of their own. Otherwise (the aggregator, the injector) from
 * Node's loop-delay histogram, a repeating timer that wakes the process at its resolution: at 20 ms it cost an idle
 * agent ~0.2 % of a core by itself (50 wakeups a second); at `loopDelayResolutionMs` a stall of 100 ms or more is
 * still always seen, a shorter one when a tick falls in it (bench/README.md, Footprint, "Idle CPU: the threads and
 * wakeups", "Idle CPU: the loop-delay probe's wake-ups").
 */
import { registerLoopLag, TickLateness, TimerLateness } from './loop-lag';
import { collectRuntimeMetrics, Counter, Gauge, Histogram, Registry } from './prom-client';
import type { FamilySamples, Labels, MetricType, Sample } from '../store/types';
import { version } from './version';

/** The loop-delay histogram's resolution (ms): 10 wakeups a second. */
export const loopDelayResolutionMs = 100;

type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

export interface TelemetryOptions {
  runtimeMetrics?: boolean;
  /**
   * Where the event loop lag percentiles come from: `'timers'`, the lateness of the timers given a `tickLateness`;
   * else Node's loop-delay histogram at `loopDelayResolutionMs`.
   */
  loopLag?: 'timers' | 'histogram';
  /** How long the runtime metrics' samples are reused before they are gathered again (ms, default 5000). */
  runtimeRefreshMs?: number;
  now?: () => number;
}

/** A repeating call from `Telemetry.interval`; `stop` ends it. */
export interface Ticking {
  stop(): void;
}

interface TickGroup {
  readonly fns: Set<() => void>;
  readonly timer: NodeJS.Timeout;
}

export class Telemetry {
  readonly registry = new Registry();
  readonly buildInfo: Gauge;
  readonly nativeAvailable: Gauge;
  /** Names of the runtime metrics (registered first, by collectRuntimeMetrics). */
  readonly #runtime = new Set<string>();
  /** How long the runtime metrics' samples are reused before they are gathered again (ms). */
  readonly runtimeRefreshMs: number;
  readonly #now: () => number;
  #runtimeAtMs = -Infinity;
  #runtimeCache: FamilySamples[] = [];
  /** The timers' lateness behind the loop lag series (`loopLag: 'timers'`). */
  #lateness: TimerLateness | undefined;
  /** The shared timers of `interval`, by period. */
  readonly #ticks = new Map<number, TickGroup>();
  /** What brings the series written on a coarser cadence up to date before the store is read (`onRead`). */
  readonly #readHooks = new Set<() => Promise<void> | void>();

  constructor(opts: TelemetryOptions = {}) {
    this.runtimeRefreshMs = opts.runtimeRefreshMs ?? 5000;
    this.#now = opts.now ?? Date.now;
    if (opts.runtimeMetrics !== false) {
      const lateness = opts.loopLag === 'timers' ? (this.#lateness = new TimerLateness()) : undefined;
      collectRuntimeMetrics(this.registry, { eventLoopMonitoringPrecision: loopDelayResolutionMs, ...(lateness && { loopLag: (r: Registry) => registerLoopLag(r, lateness) }) });
      for (const m of this.registry.getMetricsAsArray()) this.#runtime.add(m.name);
    }
    this.buildInfo = this.gauge('outrider_build_info', 'A metric with a constant 1 value labeled by the version and runtime Outrider runs on.', ['version', 'nodejs_version', 'native']);
    this.nativeAvailable = this.gauge('outrider_native_available', 'Whether the native addon is loaded (1) or the pure-TypeScript twins run (0).');
  }

  counter(name: string, help: string, labelNames: string[] = []): Counter {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter;
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge(name: string, help: string, labelNames: string[] = [], collect?: (this: Gauge) => void): Gauge {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge;
    return new Gauge({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  histogram(name: string, help: string, labelNames: string[] = [], buckets?: number[]): Histogram {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram;
    return new Histogram({ name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) });
  }

  /** Whether `name` is one of the runtime metrics (`process_*`, `nodejs_*`), gathered every `runtimeRefreshMs`. */
  isRuntime(name: string): boolean {
    return this.#runtime.has(name);
  }

  /**
   * Registers `hook` to run before the store is read for a scrape (`beforeRead`): a writer that writes its series on a
   * coarser cadence than the collection round writes what it holds. Returns the function that unregisters it.
   */
  onRead(hook: () => Promise<void> | void): () => void {
    this.#readHooks.add(hook);
    return () => void this.#readHooks.delete(hook);
  }

  /**
   * Runs the `onRead` hooks; a promise when one of them has to be awaited. A hook that fails (a collect callback that
   * throws) does not fail the read: the store is served as it is, and the collection round reports the failure.
   */
  beforeRead(): Promise<void> | void {
    let pending: Array<Promise<void>> | undefined;
    for (const hook of this.#readHooks) {
      try {
        const p = hook();
        if (p instanceof Promise) (pending ??= []).push(p.catch(() => undefined));
      } catch {
        // as above
      }
    }
    if (pending) return Promise.all(pending).then(() => undefined);
  }

  /**
   * The lateness of one repeating timer of period `periodMs`, for the event loop lag series: its owner calls `tick()`
   * each time it runs. Records nothing unless the series come from the timers (`loopLag: 'timers'`).
   */
  tickLateness(periodMs: number): TickLateness {
    return new TickLateness(periodMs, this.#lateness);
  }

  /**
   * Runs `fn` every `periodMs` on a timer that keeps no process alive, whose lateness goes into the event loop lag
   * series (`tickLateness`). Callers with the same period share one timer, so they wake the process once a period
   * together, not once each (the store's sweep and the history's step at the collection interval: bench/README.md,
   * "Idle CPU: the servers' timeout checks and the shared tick"). One that joins a running timer is first called at
   * its next tick, within a period. A `fn` that throws does not keep the others from running; its error is thrown
   * again outside the tick, as a timer's would be.
   */
  interval(periodMs: number, fn: () => void): Ticking {
    let group = this.#ticks.get(periodMs);
    if (!group) {
      const fns = new Set<() => void>();
      const late = this.tickLateness(periodMs);
      const timer = setInterval(() => {
        late.tick();
        for (const f of fns) {
          try {
            f();
          } catch (err) {
            queueMicrotask(() => {
              throw err;
            });
          }
        }
      }, periodMs);
      timer.unref();
      this.#ticks.set(periodMs, (group = { fns, timer }));
    }
    const g = group;
    // Its own entry, so one `fn` given twice runs twice and each stop ends one.
    const entry = () => fn();
    g.fns.add(entry);
    return {
      stop: () => {
        if (!g.fns.delete(entry) || g.fns.size > 0) return;
        clearInterval(g.timer);
        this.#ticks.delete(periodMs);
      },
    };
  }

  /** The telemetry's clock (ms). */
  now(): number {
    return this.#now();
  }

  setBuildInfo(native: boolean): void {
    this.buildInfo.set({ version, nodejs_version: process.version, native: native ? '1' : '0' }, 1);
    this.nativeAvailable.set(native ? 1 : 0);
  }

  /**
   * Snapshot of the registry in the store's model: the component metrics as they are now, the runtime metrics as
   * last gathered (again once `runtimeRefreshMs` has passed; a tenth of it early, so a collection interval equal to
   * it, give or take a timer's lateness, gathers them every time).
   */
  async snapshot(): Promise<FamilySamples[]> {
    const now = this.#now();
    const refresh = now - this.#runtimeAtMs >= this.runtimeRefreshMs * 0.9;
    const metrics = this.registry.getMetricsAsArray().filter((m) => refresh || !this.#runtime.has(m.name));
    // prom-client's typings leave out `get` (what getMetricsAsJSON awaits on each metric).
    const json = await Promise.all(metrics.map((m) => (m as unknown as { get(): Promise<MetricJson> | MetricJson }).get()));
    const out: FamilySamples[] = [];
    const runtime: FamilySamples[] = [];
    for (const m of json) {
      // prom-client's three `_total`-suffixed gauges are plain sums of the per-type gauges next to them; Prometheus
      // naming reserves `_total` for counters (promtool flags them), so they are left out.
      if (redundantTotals.has(m.name)) continue;
      const fs = toFamily(m);
      if (this.#runtime.has(m.name)) runtime.push(fs);
      else out.push(fs);
    }
    if (refresh) {
      this.#runtimeCache = runtime;
      this.#runtimeAtMs = now;
    }
    return this.#runtimeCache.length === 0 ? out : [...this.#runtimeCache, ...out];
  }
}

/** One prom-client metric's `get()` in the store's model. */
export function toFamily(m: MetricJson): FamilySamples {
  const type = String(m.type) as MetricType;
  const values = m.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  if (type === 'histogram' || type === 'summary') return { name: m.name, help: m.help, type, restartsWithAgent: true, samples: groupDist(m.name, type, values) };
  const name = type === 'counter' && !m.name.endsWith('_total') ? m.name + '_total' : m.name;
  return {
    name,
    help: m.help,
    type: type === 'counter' || type === 'gauge' ? type : 'untyped',
    restartsWithAgent: true,
    samples: values.map((v) => ({ labels: strLabels(v.labels), value: v.value })),
  };
}

/** prom-client's `_total` gauges that only sum the per-type gauges beside them (left out of the store). */
export const redundantTotals: ReadonlySet<string> = new Set(['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']);

function strLabels(l: Record<string, string | number>): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(l)) out[k] = String(v);
  return out;
}

function groupDist(name: string, type: 'histogram' | 'summary', values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>): Sample[] {
  const groups = new Map<string, { labels: Labels; count: number; sum: number; points: Array<[number, number]> }>();
  for (const v of values) {
    const labels: Record<string, string> = {};
    let point: number | undefined;
    for (const [k, lv] of Object.entries(v.labels)) {
      if ((type === 'histogram' && k === 'le') || (type === 'summary' && k === 'quantile')) point = lv === '+Inf' ? Infinity : Number(lv);
      else labels[k] = String(lv);
    }
    const key = JSON.stringify(Object.entries(labels).sort());
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, count: 0, sum: 0, points: [] }));
    const metric = v.metricName ?? name;
    if (metric === `${name}_sum`) g.sum = v.value;
    else if (metric === `${name}_count`) g.count = v.value;
    else if (point !== undefined) g.points.push([point, v.value]);
  }
  return [...groups.values()].map((g) => ({
    labels: g.labels,
    dist: type === 'histogram' ? { count: g.count, sum: g.sum, buckets: g.points.sort((a, b) => a[0] - b[0]) } : { count: g.count, sum: g.sum, quantiles: g.points.sort((a, b) => a[0] - b[0]) },
  }));
}
