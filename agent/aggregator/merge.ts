/**
 * Applies one agent batch to the aggregator's state and its merged store.
 *
 * Counters and histogram buckets: the agent sends cumulative values; per (agent, series) the delta since the last
 * applied value is added to the fleet total (a value below the last one is a reset: the new value is the delta,
 * as Prometheus' increase() reads it). A value older than the last applied one (lower epoch, or same epoch and lower
 * sequence: requests overtook each other) is skipped, since the newer cumulative value already contains it.
 * Fleet-wide counters carry no agent label. Gauges, untyped and summaries (quantiles do not merge) are kept per
 * agent under an `instance` label. Sketches: a hook (`mergeSketch`) for the DDSketch timers will carry.
 */
import type { DistValue, FamilyDef } from '../report/payload';
import type { Store } from '../store/store';
import type { Labels, MetricType } from '../store/types';
import type { DistState, SeriesState } from './state';

export interface ResolvedSeries {
  key: string;
  family: FamilyDef;
  labels: string[];
}

export function labelsObject(flat: readonly string[], extra?: readonly [string, string]): Labels {
  const o: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
  if (extra) o[extra[0]] = extra[1];
  return o;
}

const perAgent = (t: MetricType) => t === 'gauge' || t === 'untyped' || t === 'summary';

/** The label added to per-agent series: `instance`, or `outrider_agent` when the series already has `instance`. */
export function agentLabel(flat: readonly string[], agent: string): [string, string] {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === 'instance') return ['outrider_agent', agent];
  return ['instance', agent];
}

function distDelta(v: DistState, last: DistState | undefined): DistState {
  const sameLayout = last && (v.buckets?.length ?? 0) === (last.buckets?.length ?? 0) && (v.buckets ?? []).every((x, i) => i % 2 === 1 || x === last.buckets![i]);
  if (!last || !sameLayout || v.count < last.count) return { count: v.count, sum: v.sum, buckets: v.buckets ? [...v.buckets] : null };
  return {
    count: v.count - last.count,
    sum: v.sum - last.sum,
    buckets: v.buckets ? v.buckets.map((x, i) => (i % 2 === 0 ? x : x - last.buckets![i]!)) : null,
  };
}

function distAdd(a: DistState | undefined, d: DistState): DistState {
  if (!a || (a.buckets?.length ?? 0) !== (d.buckets?.length ?? 0)) return { count: d.count, sum: d.sum, buckets: d.buckets ? [...d.buckets] : null };
  return { count: a.count + d.count, sum: a.sum + d.sum, buckets: a.buckets ? a.buckets.map((x, i) => (i % 2 === 0 ? x : x + d.buckets![i]!)) : null };
}

export class Merger {
  readonly store: Store;
  /** Fleet totals of counters and histograms: family + label key → value. */
  readonly #fleet = new Map<string, number | DistState>();

  constructor(store: Store) {
    this.store = store;
  }

  /** Rebuilds the merged store from persisted state (after a restart). */
  rebuild(series: Iterable<SeriesState>): void {
    for (const st of series) {
      if (perAgent(st.type)) this.#writePerAgent(st);
      else this.#addFleet(st, st.acc);
    }
  }

  /**
   * Applies one value; returns the new state to persist, or undefined when skipped as older than what was applied.
   */
  applyScalar(prev: SeriesState | undefined, agent: string, r: ResolvedSeries, epoch: number, seq: number, value: number): SeriesState | undefined {
    if (prev && (epoch < prev.epoch || (epoch === prev.epoch && seq <= prev.seq))) return undefined;
    const type = r.family.type;
    let acc: number | DistState = value;
    if (type === 'counter') {
      const last = prev && typeof prev.last === 'number' ? prev.last : undefined;
      const delta = last === undefined || value < last ? value : value - last;
      acc = (prev && typeof prev.acc === 'number' ? prev.acc : 0) + delta;
      if (Number.isFinite(delta)) this.#addFleetDelta(r, type, delta);
    }
    const st: SeriesState = { agent, family: r.family.name, type, help: r.family.help, labels: r.labels, epoch, seq, last: value, acc };
    if (perAgent(type)) this.#writePerAgent(st);
    return st;
  }

  applyDist(prev: SeriesState | undefined, agent: string, r: ResolvedSeries, epoch: number, seq: number, d: DistValue): SeriesState | undefined {
    if (prev && (epoch < prev.epoch || (epoch === prev.epoch && seq <= prev.seq))) return undefined;
    const type = r.family.type;
    const v: DistState = { count: d.count, sum: d.sum, buckets: d.buckets };
    let acc: number | DistState = v;
    if (type === 'histogram') {
      const last = prev && typeof prev.last === 'object' ? prev.last : undefined;
      const delta = distDelta(v, last);
      acc = distAdd(prev && typeof prev.acc === 'object' ? prev.acc : undefined, delta);
      this.#addFleetDelta(r, type, delta);
    }
    const st: SeriesState = { agent, family: r.family.name, type, help: r.family.help, labels: r.labels, epoch, seq, last: v, acc, quantiles: d.quantiles };
    if (perAgent(type)) this.#writePerAgent(st);
    return st;
  }

  #writePerAgent(st: SeriesState): void {
    const desc = { name: st.family, help: st.help, type: st.type };
    const labels = labelsObject(st.labels, agentLabel(st.labels, st.agent));
    if (typeof st.last === 'number') this.store.set(desc, labels, st.last);
    else {
      const q = st.quantiles;
      const quantiles: Array<[number, number]> = [];
      if (q) for (let i = 0; i < q.length; i += 2) quantiles.push([q[i]!, q[i + 1]!]);
      this.store.setDist(desc, labels, { count: st.last.count, sum: st.last.sum, ...(q ? { quantiles } : {}) });
    }
  }

  #addFleet(st: SeriesState, acc: number | DistState): void {
    this.#addFleetDelta({ key: '', family: { fid: 0, name: st.family, type: st.type, help: st.help }, labels: st.labels }, st.type, acc);
  }

  #addFleetDelta(r: ResolvedSeries, type: MetricType, delta: number | DistState): void {
    const key = r.family.name + '\u0000' + r.labels.join('\u0000');
    const desc = { name: r.family.name, help: r.family.help, type };
    const labels = labelsObject(r.labels);
    if (typeof delta === 'number') {
      const v = ((this.#fleet.get(key) as number | undefined) ?? 0) + delta;
      this.#fleet.set(key, v);
      this.store.set(desc, labels, v);
    } else {
      const v = distAdd(this.#fleet.get(key) as DistState | undefined, delta);
      this.#fleet.set(key, v);
      const buckets: Array<[number, number]> = [];
      if (v.buckets) for (let i = 0; i < v.buckets.length; i += 2) buckets.push([v.buckets[i]!, v.buckets[i + 1]!]);
      this.store.setDist(desc, labels, { count: v.count, sum: v.sum, buckets });
    }
  }

  /** Fleet total of a counter (tests, API). */
  fleetValue(family: string, labels: readonly string[]): number | DistState | undefined {
    return this.#fleet.get(family + '\u0000' + labels.join('\u0000'));
  }
}
