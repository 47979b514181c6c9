/**
 * Writes decoded OTLP metrics into the store, following the OpenTelemetry ↔ Prometheus compatibility specification:
 *
 * - Gauge → gauge; monotonic Sum → counter (`_total`); non-monotonic Sum → gauge; Histogram → histogram;
 *   ExponentialHistogram → summary whose quantiles come from the DDSketch of its buckets (the interval's sketch rides
 *   along in `dist.sketch`, so the aggregator merges it with StatsD's); Summary → summary.
 * - Delta sums and histograms become cumulative through the bounded stream table (delta.ts).
 * - `service.name` (prefixed by `service.namespace/`) → `job`, `service.instance.id` → `instance`; the other resource
 *   attributes go to one `target_info` series per resource; the configured ones are also copied onto every series.
 *   The scope's name and version are the `otel_scope_name` / `otel_scope_version` labels.
 * - A point flagged "no recorded value" removes its series (the stream ended).
 *
 * Points that cannot be written are counted as rejected with the first reasons, for the partial-success answer.
 */
import { labelKey, Store } from '../../store/store';
import type { Distribution, FamilyDesc, Labels } from '../../store/types';
import type { DeltaStream, DeltaTable } from './delta';
import { add, checkPoint, ExpState, fromPoint, subtract, toSketch } from './exp-histogram';
import { Attrs, ExpHistogramPoint, HistogramPoint, kNoRecordedValue, NumberPoint, OtlpMetric, ResourceMetrics, SummaryPoint, Temporality } from './model';
import { prometheusLabel, prometheusName } from './names';
import { kEnded, kHasValue, type MetricContext, type ReceivedRequest } from './stream-cache';

export interface TranslateOptions {
  store: Store;
  streams: DeltaTable;
  /** Resource attributes copied onto every series as labels. */
  promote: readonly string[];
  /** Quantiles shown for exponential histograms. */
  quantiles: readonly number[];
  now?: () => number;
}

export interface TranslateResult {
  accepted: number;
  rejected: number;
  /** The first few reasons, for the error message of a partial success. */
  reasons: string[];
}

const kMaxReasons = 5;
const kTargetInfo: FamilyDesc = { name: 'target_info', help: 'Target metadata', type: 'gauge' };

export class OtlpTranslator {
  readonly #o: TranslateOptions;
  readonly #now: () => number;

  constructor(opts: TranslateOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  write(resources: readonly ResourceMetrics[]): TranslateResult {
    const res: TranslateResult = { accepted: 0, rejected: 0, reasons: [] };
    const nowMs = this.#now();
    this.#o.streams.expire(nowMs);
    for (const rm of resources) {
      this.#targetInfo(rm.attrs, nowMs);
      const base = this.baseLabels(rm.attrs);
      for (const scope of rm.scopes) {
        const scoped = scopedLabels(base, scope.name, scope.version);
        for (const m of scope.metrics) this.#metric(m, scoped, nowMs, res);
      }
    }
    return res;
  }

  /**
   * Writes a request as the protobuf receiver decoded it (receive-proto.ts): the same writes in the same order as
   * `write` of the full decoder's result, with Gauge and Sum points coming as cached streams, written through their
   * kept store handles.
   */
  writeReceived(got: ReceivedRequest): TranslateResult {
    const res: TranslateResult = { accepted: 0, rejected: 0, reasons: [] };
    const nowMs = this.#now();
    this.#o.streams.expire(nowMs);
    for (const op of got.ops) {
      if (op.kind === 'resource') this.#targetInfo(op.attrs, nowMs);
      else if (op.kind === 'metric') this.#metric(op.metric, op.base, nowMs, res);
      else for (let i = op.from; i < op.to; i++) this.#cachedNumber(op.ctx, got, i, nowMs, res);
    }
    return res;
  }

  /** job/instance and the promoted attributes of a resource: the labels of every series under it. */
  baseLabels(attrs: Attrs): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of this.#o.promote) {
      const hit = attrs.find(([k]) => k === key);
      if (hit) out[prometheusLabel(key)] = hit[1];
    }
    return Object.assign(out, identity(attrs));
  }

  /** Writes target_info when the resource says more than its identity. */
  #targetInfo(attrs: Attrs, nowMs: number): void {
    const info = attrs.filter(([k]) => k !== 'service.name' && k !== 'service.namespace' && k !== 'service.instance.id');
    if (info.length === 0) return;
    const ident = identity(attrs);
    if (ident.job !== undefined || ident.instance !== undefined) this.#o.store.set(kTargetInfo, { ...labelsOf(info), ...ident }, 1, nowMs);
  }

  #metric(m: OtlpMetric, base: Record<string, string>, nowMs: number, res: TranslateResult): void {
    if (m.kind === 'empty') return;
    if (m.name === '') return reject(res, m.points.length || 1, 'a metric without a name');
    switch (m.kind) {
      case 'gauge': {
        const desc = numberDesc(m.name, m.unit, m.description, false, false);
        for (const p of m.points) this.#number(desc, p, base, false, nowMs, res);
        return;
      }
      case 'sum': {
        const counter = m.monotonic;
        const delta = m.temporality === Temporality.Delta;
        if (m.temporality !== Temporality.Delta && m.temporality !== Temporality.Cumulative) return reject(res, m.points.length, `sum ${m.name} without an aggregation temporality`);
        const desc = numberDesc(m.name, m.unit, m.description, counter, delta);
        for (const p of m.points) this.#number(desc, p, base, delta, nowMs, res);
        return;
      }
      case 'histogram': {
        if (m.temporality !== Temporality.Delta && m.temporality !== Temporality.Cumulative) return reject(res, m.points.length, `histogram ${m.name} without an aggregation temporality`);
        const desc: FamilyDesc = { name: prometheusName(m.name, m.unit, 'other'), help: m.description, type: 'histogram' };
        if (m.temporality === Temporality.Delta) desc.restartsWithAgent = true;
        for (const p of m.points) this.#histogram(desc, p, base, m.temporality === Temporality.Delta, nowMs, res);
        return;
      }
      case 'exponential_histogram': {
        if (m.temporality !== Temporality.Delta && m.temporality !== Temporality.Cumulative) return reject(res, m.points.length, `exponential histogram ${m.name} without an aggregation temporality`);
        const desc: FamilyDesc = { name: prometheusName(m.name, m.unit, 'other'), help: m.description, type: 'summary' };
        if (m.temporality === Temporality.Delta) desc.restartsWithAgent = true;
        for (const p of m.points) this.#exp(desc, p, base, m.temporality === Temporality.Delta, nowMs, res);
        return;
      }
      case 'summary': {
        const desc: FamilyDesc = { name: prometheusName(m.name, m.unit, 'other'), help: m.description, type: 'summary' };
        for (const p of m.points) this.#summary(desc, p, base, nowMs, res);
        return;
      }
    }
  }

  /** Removes the series of a point flagged "no recorded value"; true when the point was such a marker. */
  #ended(desc: FamilyDesc, labels: Labels, flags: number, res: TranslateResult): boolean {
    if ((flags & kNoRecordedValue) === 0) return false;
    const fam = this.#o.store.getFamily(desc.name);
    const s = fam?.series.get(labelKey(labels));
    if (s) this.#o.store.remove(s);
    res.accepted++;
    return true;
  }

  #stream(desc: FamilyDesc, labels: Labels, nowMs: number, res: TranslateResult, key = desc.name + '\u0001' + labelKey(labels)): DeltaStream | undefined {
    const s = this.#o.streams.stream(key, nowMs);
    if (!s) reject(res, 1, `the delta conversion table is full (${this.#o.streams.maxStreams} streams)`);
    return s;
  }

  #written(ok: unknown, desc: FamilyDesc, res: TranslateResult): void {
    if (ok) res.accepted++;
    else reject(res, 1, `the store refused a series of ${desc.name}`);
  }

  #number(desc: FamilyDesc, p: NumberPoint, base: Record<string, string>, delta: boolean, nowMs: number, res: TranslateResult): void {
    const labels = pointLabels(base, p.attrs);
    if (this.#ended(desc, labels, p.flags, res)) return;
    if (!p.hasValue) return reject(res, 1, `a point of ${desc.name} without a value`);
    let value = p.value;
    if (delta) {
      const s = this.#stream(desc, labels, nowMs, res);
      if (!s) return;
      if (p.startMs < s.lastTimeMs) return reject(res, 1, `a delta point of ${desc.name} overlaps the previous interval`);
      s.lastTimeMs = p.timeMs;
      value = s.value += p.value;
    }
    if (desc.type === 'counter' && !(value >= 0)) return reject(res, 1, `counter ${desc.name} has a negative value`);
    this.#written(this.#o.store.set(desc, labels, value, nowMs), desc, res);
  }

  /**
   * `#number` for a cached stream: the same checks and delta conversion, the write through the stream's kept store
   * handle while the store holds it and the family's help is the metric's (a by-labels write would set it back).
   */
  #cachedNumber(ctx: MetricContext, got: ReceivedRequest, i: number, nowMs: number, res: TranslateResult): void {
    const e = got.streams[i]!;
    const desc = ctx.desc;
    if (this.#ended(desc, e.labels, got.state[i]! & kEnded, res)) {
      e.handle = undefined;
      return;
    }
    if ((got.state[i]! & kHasValue) === 0) return reject(res, 1, `a point of ${desc.name} without a value`);
    let value = got.values[i]!;
    if (ctx.delta) {
      const s = this.#stream(desc, e.labels, nowMs, res, (e.deltaKey ??= desc.name + '\u0001' + labelKey(e.labels)));
      if (!s) return;
      if (got.startMs[i]! < s.lastTimeMs) return reject(res, 1, `a delta point of ${desc.name} overlaps the previous interval`);
      s.lastTimeMs = got.timeMs[i]!;
      value = s.value += value;
    }
    if (desc.type === 'counter' && !(value >= 0)) return reject(res, 1, `counter ${desc.name} has a negative value`);
    const held = e.handle;
    if (held !== undefined && (desc.help === '' || held.family.help === desc.help) && this.#o.store.writeHandle(held, value, undefined, nowMs)) {
      res.accepted++;
      return;
    }
    e.handle = this.#o.store.set(desc, e.labels, value, nowMs);
    this.#written(e.handle, desc, res);
  }

  #histogram(desc: FamilyDesc, p: HistogramPoint, base: Record<string, string>, delta: boolean, nowMs: number, res: TranslateResult): void {
    const labels = pointLabels(base, p.attrs);
    if (this.#ended(desc, labels, p.flags, res)) return;
    const bad = checkHistogram(p);
    if (bad) return reject(res, 1, `histogram ${desc.name}: ${bad}`);
    let counts = p.bucketCounts;
    let count = p.count;
    let sum = p.sum ?? 0;
    if (delta) {
      const s = this.#stream(desc, labels, nowMs, res);
      if (!s) return;
      if (p.startMs < s.lastTimeMs) return reject(res, 1, `a delta point of ${desc.name} overlaps the previous interval`);
      s.lastTimeMs = p.timeMs;
      if (!s.counts || !sameBounds(s.bounds, p.bounds)) {
        // New bounds start a new cumulative series (the old buckets cannot be carried over).
        s.bounds = p.bounds.slice();
        s.counts = new Array<number>(p.bucketCounts.length).fill(0);
        s.count = 0;
        s.sum = 0;
      }
      for (let i = 0; i < counts.length; i++) s.counts[i]! += counts[i]!;
      s.count += count;
      s.sum += sum;
      counts = s.counts;
      count = s.count;
      sum = s.sum;
    }
    const buckets: Array<[number, number]> = [];
    let acc = 0;
    for (let i = 0; i < p.bounds.length; i++) {
      acc += counts[i] ?? 0;
      buckets.push([p.bounds[i]!, acc]);
    }
    this.#written(this.#o.store.setDist(desc, labels, { count, sum, buckets }, nowMs), desc, res);
  }

  #exp(desc: FamilyDesc, p: ExpHistogramPoint, base: Record<string, string>, delta: boolean, nowMs: number, res: TranslateResult): void {
    const labels = pointLabels(base, p.attrs);
    if (this.#ended(desc, labels, p.flags, res)) return;
    const bad = checkPoint(p);
    if (bad) return reject(res, 1, `exponential histogram ${desc.name}: ${bad}`);
    const s = this.#stream(desc, labels, nowMs, res);
    if (!s) return;
    if (delta && p.startMs < s.lastTimeMs) return reject(res, 1, `a delta point of ${desc.name} overlaps the previous interval`);
    s.lastTimeMs = p.timeMs;
    const point = fromPoint(p);
    let cumulative: ExpState;
    let interval: ExpState;
    if (delta) {
      cumulative = s.exp ? add(s.exp, point) : point;
      interval = point;
    } else {
      cumulative = point;
      interval = (s.exp && subtract(point, s.exp)) ?? point;
    }
    s.exp = cumulative;
    const dist: Distribution = { count: cumulative.count, sum: cumulative.sum, quantiles: toSketch(cumulative).quantiles(this.#o.quantiles) };
    if (interval.count > 0) dist.sketch = toSketch(interval);
    this.#written(this.#o.store.setDist(desc, labels, dist, nowMs), desc, res);
  }

  #summary(desc: FamilyDesc, p: SummaryPoint, base: Record<string, string>, nowMs: number, res: TranslateResult): void {
    const labels = pointLabels(base, p.attrs);
    if (this.#ended(desc, labels, p.flags, res)) return;
    if (p.quantiles.some(([q]) => !(q >= 0 && q <= 1))) return reject(res, 1, `summary ${desc.name} has a quantile outside [0, 1]`);
    const quantiles = p.quantiles.slice().sort((a, b) => a[0] - b[0]);
    this.#written(this.#o.store.setDist(desc, labels, { count: p.count, sum: p.sum, quantiles }, nowMs), desc, res);
  }
}

/** The family of a Gauge or Sum: a monotonic sum is a counter (`_total`); a delta one restarts with the agent. */
export function numberDesc(name: string, unit: string, help: string, counter: boolean, delta: boolean): FamilyDesc {
  const desc: FamilyDesc = { name: prometheusName(name, unit, counter ? 'counter' : 'gauge'), help, type: counter ? 'counter' : 'gauge' };
  if (delta) desc.restartsWithAgent = true;
  return desc;
}

/** A resource's labels with its scope's name and version. */
export function scopedLabels(base: Record<string, string>, name: string, version: string): Record<string, string> {
  const scoped: Record<string, string> = { ...base };
  if (name !== '') scoped.otel_scope_name = name;
  if (version !== '') scoped.otel_scope_version = version;
  return scoped;
}

/** `job` (service.namespace/service.name) and `instance` (service.instance.id) of a resource. */
function identity(attrs: Attrs): Record<string, string> {
  let name: string | undefined;
  let ns: string | undefined;
  let instance: string | undefined;
  for (const [k, v] of attrs) {
    if (k === 'service.name') name = v;
    else if (k === 'service.namespace') ns = v;
    else if (k === 'service.instance.id') instance = v;
  }
  const ident: Record<string, string> = {};
  if (name !== undefined) ident.job = ns ? `${ns}/${name}` : name;
  if (instance !== undefined) ident.instance = instance;
  return ident;
}

function reject(res: TranslateResult, n: number, reason: string): void {
  res.rejected += n;
  if (res.reasons.length < kMaxReasons && !res.reasons.includes(reason)) res.reasons.push(reason);
}

function checkHistogram(p: HistogramPoint): string | undefined {
  if (p.bucketCounts.length === 0) return p.bounds.length === 0 ? undefined : 'explicit bounds without bucket counts';
  if (p.bucketCounts.length !== p.bounds.length + 1) return `${p.bucketCounts.length} bucket counts for ${p.bounds.length} bounds (expected one more)`;
  for (let i = 1; i < p.bounds.length; i++) if (!(p.bounds[i]! > p.bounds[i - 1]!)) return 'explicit bounds are not strictly increasing';
  let total = 0;
  for (const c of p.bucketCounts) total += c;
  if (total !== p.count) return `bucket counts add up to ${total}, count is ${p.count}`;
  return undefined;
}

function sameBounds(a: readonly number[] | undefined, b: readonly number[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Point attributes as labels over the resource's; keys that collide after sanitising join their values with `;`. */
export function pointLabels(base: Record<string, string>, attrs: Attrs): Record<string, string> {
  if (attrs.length === 0) return base;
  return Object.assign(labelsOf(attrs), base);
}

function labelsOf(attrs: Attrs): Record<string, string> {
  const out: Record<string, string> = {};
  let sorted = attrs;
  for (let i = 1; i < attrs.length; i++) {
    if (attrs[i]![0] < attrs[i - 1]![0]) {
      sorted = attrs.slice().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      break;
    }
  }
  for (const [k, v] of sorted) {
    const name = prometheusLabel(k);
    const prev = out[name];
    out[name] = prev === undefined ? v : `${prev};${v}`;
  }
  return out;
}
