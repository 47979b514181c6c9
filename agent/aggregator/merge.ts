/**
 * Applies agent values to the aggregator's state and keeps its merged store up to date.
 *
 * Counters and histogram buckets: the agent sends cumulative values; per (agent, series) the delta since the last
 * applied value is added to the fleet total (a value below the last one is a reset: the new value is the delta,
 * as Prometheus' increase() reads it). A value older than the last applied one (lower epoch, or same epoch and lower
 * sequence: requests overtook each other) is skipped, since the newer cumulative value already contains it.
 * For families that restart with the agent process (StatsD, pushed, the agent's own telemetry: flagged on the wire),
 * the first value of a new epoch counts from zero whatever the last value was; host counters (/proc) continue across
 * agent restarts, so for them a new epoch is read like any other value.
 * Every (agent, series) is also kept as the agent's own series under an `instance` label, with the agent's value as
 * it sent it (the raw cumulative value for counters) and the agent's timestamp (the batch's send time): a sample
 * that reaches two aggregators (a failover replay) is the same sample from both, so the engine behind them keeps one.
 * Fleet-wide series (counters, histograms, sketch-bearing summaries summed across agents) are this aggregator's own
 * pre-aggregation: they carry its `aggregator` label (when it has an id) and cover only the agents it owns now; an
 * agent not seen for the expiry is retired (its contribution taken back out) and reinstated when it reports again.
 * Gauges, untyped and summaries without a sketch (quantiles do not merge) have no fleet series.
 *
 * Summaries that carry a DDSketch (StatsD timers, histograms and distributions) merge fleet-wide instead: per
 * (agent, series) the aggregator keeps the sketch of the agent's latest interval, and the merged series' quantiles
 * come from merging those sketches across agents (no `instance` label); `_sum` and `_count` add up like histogram
 * counts. An agent's sketch stops contributing when its count did not advance (an idle interval) or when it is older
 * than `sketchMaxAgeMs` (the agent went away).
 *
 * Store writes are deferred: changed fleet totals and per-agent series are marked dirty and written to the store by
 * `flushStore()`, which the aggregator calls when the store is read (a scrape, the remote write forward), so 1,000
 * agents bumping one counter, or one agent sending ten batches between two scrapes, cost one store write.
 */
import type { DistValue, FamilyDef } from '../wire/payload';
import { DDSketch, SketchJSON } from '../store/sketch';
import type { Series, Store } from '../store/store';
import type { Distribution, Labels, MetricType } from '../store/types';
import { distAdd, distDelta, finiteTotal, negate } from './dist-math';
import { DistState, labelsObject, SeriesState, seriesKey } from './state-model';

/** A series definition resolved for one agent, with what the hot path needs precomputed. */
export interface ResolvedSeries {
  /** family NUL label key: identity of the merged series. */
  key: string;
  family: FamilyDef;
  labels: string[];
  /** Cached state of this agent's series (filled on first use). */
  state?: SeriesState | undefined;
  /** When a batch or a definition last named the series (ms): a definition unused for long is forgotten (tables.ts). */
  usedMs: number;
  fleet?: FleetEntry | undefined;
}

interface FleetEntry {
  name: string;
  help: string;
  type: MetricType;
  labels: Labels;
  value: number | DistState;
  /** Fleet summaries: each agent series' latest sketch (decoded once). */
  sketches?: Map<SeriesState, Contribution>;
  /** The store's series once written (write by handle afterwards). */
  handle?: Series | undefined;
  /** Whether the entry waits in the dirty list for its next store write. */
  dirty: boolean;
  /** The states (of every agent, retired ones included) that add to it. */
  states: number;
}

interface Contribution {
  sketch: DDSketch;
  atMs: number;
}

export interface MergerOptions {
  /** Quantiles of the merged summaries. */
  quantiles?: readonly number[];
  /** An agent's sketch older than this no longer contributes. */
  sketchMaxAgeMs?: number;
  /** Called for a sketch whose relative accuracy differs from the others of its series (skipped). */
  onSketchMismatch?: () => void;
  /** This aggregator's id: the `aggregator` label of its fleet series (none when empty). */
  aggregatorId?: string;
}

/** What the store write of a per-agent series needs, made once per series. */
interface AgentOut {
  /** Whether the series waits in the dirty list for its next store write. */
  dirty: boolean;
  labels: Labels;
  desc: { name: string; help: string; type: MetricType };
  handle: Series | undefined;
  /** The agent's timestamp of the value (its batch's send time); undefined when not known (rebuilt after a restart). */
  tsMs: number | undefined;
  /** The fleet series the state adds to, once it did (see `Merger.forget`). */
  fleet: FleetEntry | undefined;
}

/**
 * The store side of a per-agent series, kept on its state under a symbol (so state snapshots, which pack the
 * state's own string keys, leave it out; a symbol property is as fast to reach as a field).
 */
const kOut = Symbol('agentOut');
type WithOut = SeriesState & { [kOut]?: AgentOut };
const outOf = (st: SeriesState): AgentOut | undefined => (st as WithOut)[kOut];

export const perAgent = (t: MetricType) => t === 'gauge' || t === 'untyped' || t === 'summary';

/** Whether a series state is merged per agent (a sketch-bearing summary is merged fleet-wide). */
export const isPerAgent = (st: SeriesState) => perAgent(st.type) && st.sketch === undefined;

/** The label added to per-agent series: `instance`, or `outrider_agent` when the series already has `instance`. */
export function agentLabel(flat: readonly string[], agent: string): [string, string] {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === 'instance') return ['outrider_agent', agent];
  return ['instance', agent];
}

/** The label naming the aggregator on its fleet series: `aggregator`, or `outrider_aggregator` when taken. */
function aggregatorLabel(flat: readonly string[], id: string): [string, string] {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === 'aggregator') return ['outrider_aggregator', id];
  return ['aggregator', id];
}

/** An agent's own distribution as it sent it: buckets for a histogram, its quantiles for a summary that has them. */
function agentDist(st: SeriesState, v: DistState): Distribution {
  if (st.type === 'histogram') {
    const buckets: Array<[number, number]> = [];
    if (v.buckets) for (let i = 0; i < v.buckets.length; i += 2) buckets.push([v.buckets[i]!, v.buckets[i + 1]!]);
    return { count: v.count, sum: v.sum, buckets };
  }
  const q = st.quantiles;
  if (!q) return { count: v.count, sum: v.sum };
  const quantiles: Array<[number, number]> = [];
  for (let i = 0; i < q.length; i += 2) quantiles.push([q[i]!, q[i + 1]!]);
  return { count: v.count, sum: v.sum, quantiles };
}

export class Merger {
  readonly store: Store;
  readonly #fleet = new Map<string, FleetEntry>();
  /** Fleet series changed since the last store write (each once: its `dirty` flag guards the push). */
  #dirtyFleet: FleetEntry[] = [];
  /** Per-agent series changed since the last store write (each once: its AgentOut.dirty flag guards the push). */
  #dirtyAgent: SeriesState[] = [];
  readonly #sketchFleet = new Set<FleetEntry>();
  readonly #quantiles: readonly number[];
  readonly #sketchMaxAgeMs: number;
  readonly #onMismatch: (() => void) | undefined;
  readonly #aggregatorId: string;
  /** Every (agent, series) state by agent, and the agents retired from the fleet series (not seen for the expiry). */
  readonly #members = new Map<string, Set<SeriesState>>();
  readonly #retired = new Set<string>();
  /** Store series of the fleet totals (forwarded every time), and the agent timestamp each agent series was last forwarded at. */
  readonly #fleetHandles = new WeakSet<Series>();
  readonly #forwarded = new WeakMap<Series, number>();
  /** The send time of the batch being applied: the timestamp of the agent series it changes. */
  #batchTs: number | undefined;

  constructor(store: Store, opts: MergerOptions = {}) {
    this.store = store;
    this.#quantiles = opts.quantiles ?? [0.5, 0.9, 0.99];
    this.#sketchMaxAgeMs = opts.sketchMaxAgeMs ?? 120_000;
    this.#onMismatch = opts.onSketchMismatch;
    this.#aggregatorId = opts.aggregatorId ?? '';
  }

  /**
   * Rebuilds the merged store from persisted state (after a restart); the agents `retired` says (not seen for the
   * expiry) stay out of the fleet series. Agent series get no timestamp (none is kept): they are served, and
   * forwarded again once their agent sends a new value.
   */
  rebuild(series: Iterable<SeriesState>, retired: (agent: string) => boolean = () => false): void {
    this.#batchTs = undefined;
    for (const st of series) {
      this.#member(st);
      if (retired(st.agent)) {
        this.#retired.add(st.agent);
        continue;
      }
      this.#markAgent(st);
      this.#join(st);
    }
    this.flushStore();
  }

  /** Starts applying a batch of `agent` sent at `sentMs`: an agent retired from the fleet series rejoins them. */
  beginBatch(agent: string, sentMs: number): void {
    if (this.#retired.has(agent)) this.reinstate(agent);
    this.#batchTs = sentMs;
  }

  /** Whether the agent is retired from the fleet series and its own series (not seen for the expiry). */
  isRetired(agent: string): boolean {
    return this.#retired.has(agent);
  }

  /** Takes an agent's contribution out of the fleet series and its series out of the store. False when it was out. */
  retire(agent: string): boolean {
    if (this.#retired.has(agent)) return false;
    this.#retired.add(agent);
    for (const st of this.#members.get(agent) ?? []) {
      const o = outOf(st);
      if (o) {
        o.dirty = false;
        if (o.handle) this.store.remove(o.handle);
        o.handle = undefined;
      }
      if (isPerAgent(st) || !finiteTotal(st.acc)) continue;
      const f = this.#fleet.get(seriesKey(st.family, st.labels));
      if (!f) continue;
      this.#addFleet(f, negate(st.acc));
      f.sketches?.delete(st);
    }
    return true;
  }

  /** Puts a retired agent's contribution back into the fleet series and its series into the store. */
  reinstate(agent: string): void {
    if (!this.#retired.delete(agent)) return;
    this.#batchTs = undefined;
    for (const st of this.#members.get(agent) ?? []) {
      this.#markAgent(st);
      this.#join(st);
    }
  }

  /**
   * Whether the forward writes store series `s` now: fleet series every time (this aggregator's timestamp); an
   * agent series once per agent timestamp (the engine has it otherwise), and never without one.
   */
  forwardable(s: Series): boolean {
    if (this.#fleetHandles.has(s)) return true;
    const ts = s.timestampMs;
    if (ts === undefined) return false;
    const prev = this.#forwarded.get(s);
    if (prev !== undefined && prev >= ts) return false;
    this.#forwarded.set(s, ts);
    return true;
  }

  #member(st: SeriesState): void {
    let set = this.#members.get(st.agent);
    if (!set) this.#members.set(st.agent, (set = new Set()));
    set.add(st);
  }

  /** The fleet series `f` is what state `st` adds to (counted once per state: `forget` drops `f` with its last state). */
  #attach(st: SeriesState, f: FleetEntry): FleetEntry {
    const o = this.#out(st);
    const was = o.fleet;
    if (was === f) return f;
    if (was) was.states--;
    f.states++;
    o.fleet = f;
    return f;
  }

  /**
   * Forgets a retired agent (one not seen for the expiry, whose contribution is out of the fleet series already): its
   * states leave the merger, and so does every fleet series none of the remaining states can add to. Returns the
   * states forgotten (the state store drops them too); none for an agent that is not retired.
   */
  forget(agent: string): SeriesState[] {
    if (!this.#retired.has(agent)) return [];
    this.#retired.delete(agent);
    const states = this.#members.get(agent);
    this.#members.delete(agent);
    if (!states) return [];
    let dropped = false;
    for (const st of states) {
      const f = outOf(st)?.fleet;
      if (!f || --f.states > 0) continue;
      const key = seriesKey(st.family, st.labels);
      if (this.#fleet.get(key) === f) this.#fleet.delete(key);
      this.#sketchFleet.delete(f);
      // Left in the dirty list, if it is there: the next store write skips it.
      f.dirty = false;
      if (f.handle) this.store.remove(f.handle);
      f.handle = undefined;
      dropped = true;
    }
    if (dropped) this.#dirtyFleet = this.#dirtyFleet.filter((f) => f.dirty);
    return [...states];
  }

  /** Adds a state's total into its fleet series (rebuild, reinstate). */
  #join(st: SeriesState): void {
    if (isPerAgent(st) || !finiteTotal(st.acc)) return; // a total poisoned before non-finite values were refused: left out
    const f = this.#attach(st, this.#fleetEntry(seriesKey(st.family, st.labels), st.family, st.help, st.type, st.labels, st.sketch !== undefined));
    this.#addFleet(f, st.acc);
    if (st.sketch) this.#contribute(f, st, st.sketch, st.sketchMs ?? 0);
  }

  /**
   * Applies one value to `st` (a new state when `st` is undefined). Returns the state, or undefined when the value
   * is older than what was applied.
   */
  applyScalar(st: SeriesState | undefined, agent: string, r: ResolvedSeries, epoch: number, seq: number, value: number, id: number): SeriesState | undefined {
    if (st && (epoch < st.epoch || (epoch === st.epoch && seq <= st.seq))) return undefined;
    const type = r.family.type;
    if (!st) this.#member((st = { id, agent, family: r.family.name, type, help: r.family.help, labels: r.labels, epoch, seq: 0, last: 0, acc: 0 }));
    if (type === 'counter') {
      const last = st.seq === 0 || typeof st.last !== 'number' || !Number.isFinite(st.last) || this.#restarted(st, r, epoch) ? undefined : st.last;
      const delta = last === undefined || value < last ? value : value - last;
      if (Number.isFinite(delta)) {
        st.acc = (typeof st.acc === 'number' ? st.acc : 0) + delta;
        // Linked once per definition (a state is attached to its fleet series when a definition first links them).
        this.#addFleet(r.fleet ?? (r.fleet = this.#attach(st, this.#fleetEntry(r.key, r.family.name, r.family.help, type, r.labels))), delta);
      }
    } else st.acc = value;
    st.epoch = epoch;
    st.seq = seq;
    st.last = value;
    this.#markAgent(st);
    return st;
  }

  applyDist(st: SeriesState | undefined, agent: string, r: ResolvedSeries, epoch: number, seq: number, d: DistValue, id: number, nowMs = Date.now()): SeriesState | undefined {
    if (st && (epoch < st.epoch || (epoch === st.epoch && seq <= st.seq))) return undefined;
    const type = r.family.type;
    const v: DistState = { count: d.count, sum: d.sum, buckets: d.buckets };
    if (!st) this.#member((st = { id, agent, family: r.family.name, type, help: r.family.help, labels: r.labels, epoch, seq: 0, last: v, acc: v }));
    const sketch = type === 'summary' ? (d.sketch as SketchJSON | null) : null;
    // First sketch of a series kept per agent so far: from now on it merges fleet-wide.
    if (sketch && st.sketch === undefined) st.sketch = null;
    if (type === 'histogram' || st.sketch !== undefined) {
      const last = st.seq === 0 || typeof st.last !== 'object' || this.#restarted(st, r, epoch) ? undefined : st.last;
      const delta = distDelta(v, last);
      st.acc = distAdd(st.seq === 0 || typeof st.acc !== 'object' ? undefined : st.acc, delta);
      const f = r.fleet ?? (r.fleet = this.#attach(st, this.#fleetEntry(r.key, r.family.name, r.family.help, type, r.labels, st.sketch !== undefined)));
      this.#addFleet(f, delta);
      if (st.sketch !== undefined) {
        // Only an interval with new samples contributes; an idle interval's sketch is the previous one again.
        const advanced = !last || d.count !== last.count;
        st.sketch = sketch && advanced ? sketch : null;
        st.sketchMs = nowMs;
        if (st.sketch) this.#contribute(f, st, st.sketch, nowMs);
        else f.sketches?.delete(st);
      }
    } else st.acc = v;
    st.epoch = epoch;
    st.seq = seq;
    st.last = v;
    st.quantiles = d.quantiles;
    this.#markAgent(st);
    return st;
  }

  /**
   * Takes a value another aggregator counted (a handover) as the series' last value without counting it, so this
   * aggregator counts only what comes after. Returns the state, or undefined when it already has as recent a value.
   */
  baseline(st: SeriesState | undefined, agent: string, r: ResolvedSeries, epoch: number, seq: number, value: number | DistState, id: number): SeriesState | undefined {
    if (st && (epoch < st.epoch || (epoch === st.epoch && seq <= st.seq))) return undefined;
    // A batch applied here still waiting for its store write is written now, with the value its timestamp belongs to:
    // the baseline (sent at no timestamp of this aggregator's) must not be forwarded at that batch's timestamp.
    const o = st && outOf(st);
    if (st && o?.dirty) this.#writeAgent(st, o, Date.now());
    if (!st)
      this.#member(
        (st = {
          id,
          agent,
          family: r.family.name,
          type: r.family.type,
          help: r.family.help,
          labels: r.labels,
          epoch,
          seq,
          last: value,
          acc: typeof value === 'number' ? 0 : { count: 0, sum: 0, buckets: null },
        }),
      );
    st.epoch = epoch;
    st.seq = seq;
    st.last = value;
    return st;
  }

  /** Whether `epoch` starts a new agent process whose values for this family count from zero again. */
  #restarted(st: SeriesState, r: ResolvedSeries, epoch: number): boolean {
    return epoch > st.epoch && r.family.restartsWithAgent === true;
  }

  /** Drops sketches older than the maximum age from the merged quantiles. */
  expireSketches(nowMs = Date.now()): void {
    for (const f of this.#sketchFleet) {
      for (const [st, c] of f.sketches!) {
        if (nowMs - c.atMs > this.#sketchMaxAgeMs) {
          f.sketches!.delete(st);
          this.#markFleet(f);
        }
      }
    }
  }

  #contribute(f: FleetEntry, st: SeriesState, j: SketchJSON, atMs: number): void {
    f.sketches!.set(st, { sketch: DDSketch.fromJSON(j), atMs });
    this.#markFleet(f);
  }

  /** Quantiles of the merge of every contributing sketch (NaN when none contributes, as an idle agent summary). */
  #mergedQuantiles(f: FleetEntry): Array<[number, number]> {
    let merged: DDSketch | undefined;
    for (const { sketch } of f.sketches!.values()) {
      if (!merged) merged = new DDSketch(sketch.relativeAccuracy);
      if (sketch.relativeAccuracy !== merged.relativeAccuracy) {
        this.#onMismatch?.();
        continue;
      }
      merged.merge(sketch);
    }
    return merged ? merged.quantiles(this.#quantiles) : this.#quantiles.map((q) => [q, NaN]);
  }

  /** Writes every changed merged series to the store (by handle once a series was written). */
  flushStore(): void {
    const now = Date.now();
    const fleet = this.#dirtyFleet;
    this.#dirtyFleet = [];
    for (const f of fleet) {
      if (!f.dirty) continue; // forgotten since it was marked
      f.dirty = false;
      if (typeof f.value === 'number') {
        if (!f.handle || !this.store.writeHandle(f.handle, f.value, undefined, now)) this.#fleetHandle(f, this.store.set({ name: f.name, help: f.help, type: f.type }, f.labels, f.value, now));
        continue;
      }
      const v = f.value;
      let dist;
      if (f.sketches) dist = { count: v.count, sum: v.sum, quantiles: this.#mergedQuantiles(f) };
      else {
        const buckets: Array<[number, number]> = [];
        if (v.buckets) for (let i = 0; i < v.buckets.length; i += 2) buckets.push([v.buckets[i]!, v.buckets[i + 1]!]);
        dist = { count: v.count, sum: v.sum, buckets };
      }
      if (!f.handle || !this.store.writeHandle(f.handle, v.count, dist, now)) this.#fleetHandle(f, this.store.setDist({ name: f.name, help: f.help, type: f.type }, f.labels, dist, now));
    }
    const dirty = this.#dirtyAgent;
    this.#dirtyAgent = [];
    for (const st of dirty) {
      const o = outOf(st)!;
      if (o.dirty) this.#writeAgent(st, o, now);
    }
  }

  /**
   * Writes an agent series with the agent's timestamp: through the handle kept from the last write (no family or
   * label-key lookup), by labels when there is none or the store no longer holds it.
   */
  #writeAgent(st: SeriesState, o: AgentOut, now: number): void {
    o.dirty = false;
    const dist = typeof st.last === 'number' ? undefined : agentDist(st, st.last);
    const value = typeof st.last === 'number' ? st.last : 0;
    if (o.handle && this.store.writeHandle(o.handle, value, dist, now, o.tsMs)) return;
    const ts = o.tsMs === undefined ? {} : { timestampMs: o.tsMs };
    o.handle = this.store.setSample(o.desc, dist ? { labels: o.labels, dist, ...ts } : { labels: o.labels, value, ...ts }, now);
  }

  #markFleet(f: FleetEntry): void {
    if (f.dirty) return;
    f.dirty = true;
    this.#dirtyFleet.push(f);
  }

  #fleetHandle(f: FleetEntry, s: Series | undefined): void {
    f.handle = s;
    if (s) this.#fleetHandles.add(s);
  }

  /** The store side of a state's per-agent series, made on first use. */
  #out(st: SeriesState): AgentOut {
    let o = outOf(st);
    if (!o)
      (st as WithOut)[kOut] = o = {
        dirty: false,
        labels: labelsObject(st.labels, agentLabel(st.labels, st.agent)),
        desc: { name: st.family, help: st.help, type: st.type },
        handle: undefined,
        tsMs: undefined,
        fleet: undefined,
      };
    return o;
  }

  #markAgent(st: SeriesState): void {
    const o = this.#out(st);
    o.tsMs = this.#batchTs;
    if (o.dirty) return;
    o.dirty = true;
    this.#dirtyAgent.push(st);
  }

  /** The fleet entry of a merged series, by its `seriesKey`. */
  #fleetEntry(key: string, name: string, help: string, type: MetricType, labels: readonly string[], sketched = false): FleetEntry {
    let f = this.#fleet.get(key);
    if (!f) {
      const dist = type === 'histogram' || sketched;
      const agg = this.#aggregatorId ? aggregatorLabel(labels, this.#aggregatorId) : undefined;
      this.#fleet.set(key, (f = { name, help, type, labels: labelsObject(labels, agg), value: dist ? { count: 0, sum: 0, buckets: null } : 0, dirty: false, states: 0 }));
    }
    if (sketched && !f.sketches) {
      f.sketches = new Map();
      this.#sketchFleet.add(f);
    }
    return f;
  }

  #addFleet(f: FleetEntry, delta: number | DistState): void {
    if (typeof delta === 'number') f.value = (typeof f.value === 'number' ? f.value : 0) + delta;
    else f.value = distAdd(typeof f.value === 'object' ? f.value : undefined, delta);
    this.#markFleet(f);
  }
}
