/**
 * Writes the agent's own telemetry into the store each collection round through series handles it keeps, instead of
 * a snapshot the store takes apart again (`Telemetry.snapshot` + `Store.replaceOwned`: a family lookup per family, a
 * label key per series and a fresh object per sample and per histogram bucket, every round).
 *
 * Each prom-client metric's series are read from the metric's own table (its `hashMap`: one `{ value, labels }`
 * entry per label set for a counter or gauge, `{ labels, bucketValues, sum, count }` for a histogram, keyed by
 * prom-client's label hash); a metric of another shape is read through its `get()`. A series whose value did not
 * change since the last round is only kept alive (no store generation, so the history, the render cache and the
 * reporters see nothing to do); a changed one is written through its handle; a label set that left the metric (a
 * `reset()`, a `remove()`) and a metric that left the registry have their series removed, as the owner's snapshot
 * did. What /metrics serves is the same as the snapshot's: names (`_total` on counters), HELP, types, labels,
 * histogram buckets; prom-client's redundant `_total` handle gauges stay out. The runtime metrics are gathered again
 * once `Telemetry.runtimeRefreshMs` has passed, as in the snapshot, and kept alive between. The component metrics
 * are read every round, or with `componentRefreshMs` (the agent: the runtime metrics' 5 s) once that has passed and
 * whenever `catchUp()` is called: the agent calls it before /metrics is rendered (`Telemetry.onRead`), so a scrape
 * is served the registry as it is, while the collection rounds between two scrapes write none of the counters that
 * move every round (the runner's runs, the contract counts) into the store, its history and its change feed.
 */
import type { Family, Series, Store } from '../store/store';
import type { Distribution, FamilyDesc, Labels, MetricType } from '../store/types';
import type { Telemetry } from './telemetry';
import { redundantTotals, toFamily } from './telemetry';

/** The store owner of the agent's own series. */
export const SELF_OWNER = 'outrider';

/** What a prom-client metric carries that this reads (its typings leave out `hashMap`, `upperBounds`, `get`). */
interface PromMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  collect?: () => unknown;
  hashMap?: Record<string, PromEntry>;
  upperBounds?: readonly number[];
  get(): Promise<unknown> | unknown;
}

interface PromEntry {
  labels: Record<string, string | number>;
  /** Counters, gauges. */
  value?: number;
  /** Histograms. */
  bucketValues?: Record<string, number>;
  sum?: number;
  count?: number;
}

interface SeriesState {
  handle: Series | undefined;
  labels: Labels;
  value: number;
  sum: number;
  /** The round that last saw the label set. */
  seen: number;
}

interface MetricState {
  readonly metric: PromMetric;
  readonly desc: FamilyDesc;
  readonly runtime: boolean;
  /** 'table': counter or gauge read from its table; 'histogram' likewise; 'other': through `get()`. */
  readonly kind: 'table' | 'histogram' | 'other';
  readonly series: Map<string, SeriesState>;
  seen: number;
}

export interface TelemetryWriterOptions {
  /**
   * How often the component metrics (every metric but the runtime ones) are read and written (ms; 0, the default:
   * every round). Between, their series are kept alive as last written, and `catchUp()` reads them at once.
   */
  componentRefreshMs?: number;
}

/** What a round reads: the runtime metrics, the component metrics, and whether the others' series are kept alive. */
interface Due {
  readonly refresh: boolean;
  readonly components: boolean;
  readonly alive: boolean;
}

export class TelemetryWriter {
  readonly #telemetry: Telemetry;
  readonly #store: Store;
  readonly #owner: string;
  readonly #metrics = new Map<PromMetric, MetricState>();
  readonly #componentRefreshMs: number;
  #round = 0;
  #runtimeAtMs = -Infinity;
  #componentAtMs = -Infinity;
  #aliveAtMs = -Infinity;
  /** A round awaiting a collect callback. */
  #inflight: Promise<void> | undefined;

  constructor(telemetry: Telemetry, store: Store, owner = SELF_OWNER, opts: TelemetryWriterOptions = {}) {
    this.#telemetry = telemetry;
    this.#store = store;
    this.#owner = owner;
    this.#componentRefreshMs = opts.componentRefreshMs ?? 0;
  }

  /**
   * One round: every metric's collect callback runs (the runtime ones only when their refresh is due, the component
   * ones when `componentRefreshMs` has passed), then each series is written when it changed and kept alive when not.
   * Synchronous unless a collect callback returns a promise.
   */
  write(nowMs = this.#telemetry.now()): Promise<void> | void {
    return this.#start(nowMs, false);
  }

  /**
   * Reads the component metrics now, whatever their cadence (and the runtime ones when their refresh is due): what
   * the store serves next is as current as the registry. For a reader of the store (a scrape): `Telemetry.onRead`.
   */
  catchUp(nowMs = this.#telemetry.now()): Promise<void> | void {
    return this.#start(nowMs, true);
  }

  #start(nowMs: number, force: boolean): Promise<void> | void {
    // A round that awaits a collect callback runs to its end before the next starts (their reads would interleave).
    if (this.#inflight !== undefined) return this.#inflight.then(() => this.#start(nowMs, force));
    const p = this.#pass(nowMs, force);
    if (p === undefined) return;
    const done = p.finally(() => {
      if (this.#inflight === done) this.#inflight = undefined;
    });
    this.#inflight = done;
    return done;
  }

  #pass(nowMs: number, force: boolean): Promise<void> | void {
    const round = ++this.#round;
    const refresh = nowMs - this.#runtimeAtMs >= this.#telemetry.runtimeRefreshMs * 0.9;
    if (refresh) this.#runtimeAtMs = nowMs;
    const components = force || this.#componentRefreshMs <= 0 || nowMs - this.#componentAtMs >= this.#componentRefreshMs;
    if (components) this.#componentAtMs = nowMs;
    // The series of the metrics not read this round are kept alive only as often as the store's staleness needs.
    const alive = nowMs - this.#aliveAtMs >= this.#store.staleAfterMs / 4;
    if (alive) this.#aliveAtMs = nowMs;
    const due: Due = { refresh, components, alive };
    const metrics = this.#telemetry.registry.getMetricsAsArray() as unknown as PromMetric[];
    let seen = 0;
    for (let i = 0; i < metrics.length; i++) {
      const st = this.#state(metrics[i]!);
      if (st === undefined) continue;
      if (st.kind === 'other') return this.#rest(metrics, i, seen, round, due, nowMs);
      st.seen = round;
      seen++;
      if (!(st.runtime ? refresh : components)) {
        if (alive) this.#keepAlive(st, nowMs);
        continue;
      }
      const pending = st.metric.collect?.();
      if (pending instanceof Promise) return this.#rest(metrics, i, seen, round, due, nowMs, pending);
      this.#read(st, round, nowMs);
    }
    this.#end(seen, round);
  }

  /** The round from metric `i` on, once a collect callback (or a `get()`) has to be awaited. */
  async #rest(metrics: PromMetric[], i: number, seen: number, round: number, due: Due, nowMs: number, pending?: Promise<unknown>): Promise<void> {
    for (; i < metrics.length; i++) {
      const st = this.#state(metrics[i]!);
      if (st === undefined) continue;
      if (st.seen !== round) {
        st.seen = round;
        seen++;
      }
      if (!(st.runtime ? due.refresh : due.components)) {
        if (due.alive) this.#keepAlive(st, nowMs);
        continue;
      }
      if (st.kind === 'other') {
        await this.#readOther(st, round, nowMs);
        continue;
      }
      if (pending === undefined) {
        const p = st.metric.collect?.();
        if (p instanceof Promise) await p;
      } else {
        await pending;
        pending = undefined;
      }
      this.#read(st, round, nowMs);
    }
    this.#end(seen, round);
  }

  #state(m: PromMetric): MetricState | undefined {
    let st = this.#metrics.get(m);
    if (st) return st;
    if (redundantTotals.has(m.name)) return undefined;
    const type = String(m.type);
    const kind = (type === 'counter' || type === 'gauge') && isTable(m.hashMap) ? 'table' : type === 'histogram' && isTable(m.hashMap) && Array.isArray(m.upperBounds) ? 'histogram' : 'other';
    const name = type === 'counter' && !m.name.endsWith('_total') ? m.name + '_total' : m.name;
    const storeType: MetricType = type === 'counter' || type === 'gauge' || type === 'histogram' || type === 'summary' ? type : 'untyped';
    st = { metric: m, desc: { name, help: m.help, type: storeType, restartsWithAgent: true }, runtime: this.#telemetry.isRuntime(m.name), kind, series: new Map(), seen: 0 };
    this.#metrics.set(m, st);
    return st;
  }

  /** Reads a counter's, gauge's or histogram's table. */
  #read(st: MetricState, round: number, nowMs: number): void {
    const table = st.metric.hashMap!;
    const hist = st.kind === 'histogram';
    for (const hash in table) {
      const e = table[hash]!;
      const value = hist ? e.count! : e.value!;
      let s = st.series.get(hash);
      if (s === undefined) {
        s = { handle: undefined, labels: strLabels(e.labels), value: NaN, sum: NaN, seen: round };
        st.series.set(hash, s);
      }
      s.seen = round;
      const sum = hist ? e.sum! : 0;
      if (s.handle !== undefined && Object.is(s.value, value) && Object.is(s.sum, sum) && this.#store.keepAlive(s.handle, nowMs)) continue;
      s.value = value;
      s.sum = sum;
      this.#write(st, s, value, hist ? histDist(e, st.metric.upperBounds!) : undefined, nowMs);
    }
    if (st.series.size > 0) this.#removeUnseen(st, round);
  }

  /** A metric of a shape this does not read from its table: its `get()`, in the snapshot's model. */
  async #readOther(st: MetricState, round: number, nowMs: number): Promise<void> {
    const fam = toFamily((await st.metric.get()) as Parameters<typeof toFamily>[0]);
    for (const sample of fam.samples) {
      const key = JSON.stringify(Object.entries(sample.labels).sort());
      let s = st.series.get(key);
      if (s === undefined) {
        s = { handle: undefined, labels: sample.labels, value: NaN, sum: NaN, seen: round };
        st.series.set(key, s);
      }
      s.seen = round;
      const value = sample.dist ? sample.dist.count : (sample.value ?? NaN);
      const sum = sample.dist ? sample.dist.sum : 0;
      if (s.handle !== undefined && !sample.dist?.quantiles && Object.is(s.value, value) && Object.is(s.sum, sum) && this.#store.keepAlive(s.handle, nowMs)) continue;
      s.value = value;
      s.sum = sum;
      this.#write(st, s, value, sample.dist, nowMs);
    }
    this.#removeUnseen(st, round);
  }

  #write(st: MetricState, s: SeriesState, value: number, dist: Distribution | undefined, nowMs: number): void {
    if (s.handle !== undefined && this.#store.writeHandle(s.handle, value, dist, nowMs)) return;
    // New, or gone from the store (removed, expired): by family and labels, as the owner's snapshot wrote it.
    const fam: Family | undefined = this.#store.family(st.desc);
    s.handle = fam && this.#store.series(fam, s.labels, this.#owner);
    if (s.handle !== undefined) this.#store.writeHandle(s.handle, value, dist, nowMs);
  }

  /** A metric between its gatherings: its series as last gathered. */
  #keepAlive(st: MetricState, nowMs: number): void {
    for (const s of st.series.values()) {
      if (s.handle !== undefined && !this.#store.keepAlive(s.handle, nowMs)) {
        // Gone from the store since: written again from what was last gathered at its next gathering.
        s.handle = undefined;
        s.value = NaN;
      }
    }
  }

  #removeUnseen(st: MetricState, round: number): void {
    for (const [key, s] of st.series) {
      if (s.seen === round) continue;
      if (s.handle !== undefined) this.#store.remove(s.handle);
      st.series.delete(key);
    }
  }

  /** Metrics that left the registry (`seen` of them were in it this round) take their series with them. */
  #end(seen: number, round: number): void {
    if (this.#metrics.size === seen) return;
    for (const [m, st] of this.#metrics) {
      if (st.seen === round) continue;
      for (const s of st.series.values()) if (s.handle !== undefined) this.#store.remove(s.handle);
      this.#metrics.delete(m);
    }
  }
}

function isTable(x: unknown): x is Record<string, PromEntry> {
  return typeof x === 'object' && x !== null;
}

function strLabels(l: Record<string, string | number>): Labels {
  const out: Record<string, string> = {};
  for (const k in l) out[k] = String(l[k]);
  return out;
}

/** prom-client's histogram entry as the snapshot gives it: cumulative buckets by upper bound, then +Inf. */
function histDist(e: PromEntry, upperBounds: readonly number[]): Distribution {
  const buckets: Array<[number, number]> = [];
  let acc = 0;
  for (const ub of upperBounds) {
    acc += e.bucketValues![ub]!;
    buckets.push([ub, acc]);
  }
  buckets.push([Infinity, e.count!]);
  return { count: e.count!, sum: e.sum!, buckets };
}
