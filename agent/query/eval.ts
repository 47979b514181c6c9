/**
 * One evaluation of a compiled expression over the history: the selectors' samples are loaded once for the whole
 * query (every window any step needs), then each step is evaluated with Prometheus's rules: an instant selector takes
 * each series' newest sample within the lookback delta unless that sample is a staleness marker; a range selector
 * takes the samples in [t - range, t] without staleness markers (both bounds included, as Prometheus 2.x).
 */
import { OutriderError } from '../core/errors';
import type { HistoryReader, SeriesSamples } from '../history/types';
import { isStaleNaN } from '../history/types';
import type { Labels } from '../store/types';
import type { AtSpec, Call, Expr, MatrixSelector, Subquery, VectorSelector } from './ast';
import { typeOf } from './ast';
import { aggregate } from './aggregate';
import { scalarBinop, vectorScalar, vectorVector } from './binary';
import { absentLabels, checkUnique, clamp, clampMax, clampMin, evalErrorCode, isMathFn, labelJoin, labelReplace, mapValues, round } from './functions';
import { histogramQuantile } from './histogram';
import { rangeFns } from './range-functions';
import type { MatrixValue, Sample, SeriesWindow, Value } from './value';
import { dropName, firstAtOrAfter, labelsKey, lastAtOrBefore } from './value';

export const tooManySamplesCode = 'OUTRIDER_ERR_QUERY_TOO_MANY_SAMPLES';
export const timeoutCode = 'OUTRIDER_ERR_QUERY_TIMEOUT';

export interface EvalLimits {
  readonly lookbackMs: number;
  /** The step of a subquery that names none. */
  readonly subqueryStepMs: number;
  /** Samples loaded from the history and touched by the steps, at most. */
  readonly maxSamples: number;
  /** Date.now() after which the evaluation is abandoned. */
  readonly deadlineMs: number;
}

interface Loaded {
  readonly labels: Labels;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

export class Evaluation {
  readonly #history: HistoryReader;
  readonly #limits: EvalLimits;
  readonly #startMs: number;
  readonly #endMs: number;
  readonly #loaded = new Map<VectorSelector, Loaded[]>();
  #touched = 0;
  #checks = 0;

  constructor(history: HistoryReader, limits: EvalLimits, startMs: number, endMs: number) {
    this.#history = history;
    this.#limits = limits;
    this.#startMs = startMs;
    this.#endMs = endMs;
  }

  get samplesTouched(): number {
    return this.#touched;
  }

  touch(n: number): void {
    this.#touched += n;
    if (this.#touched > this.#limits.maxSamples) {
      throw new OutriderError(tooManySamplesCode, `query processing would load too many samples into memory (limit ${this.#limits.maxSamples})`);
    }
    if ((++this.#checks & 63) === 0) this.checkDeadline();
  }

  checkDeadline(): void {
    if (Date.now() > this.#limits.deadlineMs) throw new OutriderError(timeoutCode, 'query timed out in expression evaluation');
  }

  #atMs(at: AtSpec | undefined): number | undefined {
    if (!at) return undefined;
    return at.kind === 'time' ? at.ms : at.kind === 'start' ? this.#startMs : this.#endMs;
  }

  /** Loads every selector's samples for evaluation times in [lo, hi]. */
  preload(e: Expr, lo: number, hi: number): void {
    switch (e.kind) {
      case 'vector':
      case 'matrix': {
        const sel = e.kind === 'vector' ? e : e.vector;
        const at = this.#atMs(sel.at);
        const [a, b] = at === undefined ? [lo, hi] : [at, at];
        const back = e.kind === 'vector' ? this.#limits.lookbackMs : e.rangeMs;
        this.#load(sel, a - sel.offsetMs - back, b - sel.offsetMs, e.kind === 'matrix');
        return;
      }
      case 'subquery': {
        const at = this.#atMs(e.at);
        const [a, b] = at === undefined ? [lo, hi] : [at, at];
        this.preload(e.expr, a - e.offsetMs - e.rangeMs, b - e.offsetMs);
        return;
      }
      case 'call':
        for (const a of e.args) this.preload(a, lo, hi);
        return;
      case 'aggregate':
        if (e.param) this.preload(e.param, lo, hi);
        this.preload(e.expr, lo, hi);
        return;
      case 'binary':
        this.preload(e.lhs, lo, hi);
        this.preload(e.rhs, lo, hi);
        return;
      case 'unary':
        this.preload(e.expr, lo, hi);
        return;
      default:
        return;
    }
  }

  #load(sel: VectorSelector, from: number, to: number, dropStale: boolean): void {
    const prev = this.#loaded.get(sel);
    if (prev) return; // one node is preloaded once, for the widest window its parent asked for
    const found: SeriesSamples[] = this.#history.select(sel.matchers, from, to);
    const out: Loaded[] = [];
    for (const s of found) {
      this.touch(s.values.length);
      if (!dropStale) {
        out.push({ labels: s.labels, ts: s.timestampsMs, vs: s.values });
        continue;
      }
      let stale = 0;
      for (let i = 0; i < s.values.length; i++) if (isStaleNaN(s.values[i]!)) stale++;
      if (stale === 0) {
        out.push({ labels: s.labels, ts: s.timestampsMs, vs: s.values });
        continue;
      }
      const ts = new Float64Array(s.values.length - stale);
      const vs = new Float64Array(s.values.length - stale);
      let j = 0;
      for (let i = 0; i < s.values.length; i++) {
        if (isStaleNaN(s.values[i]!)) continue;
        ts[j] = s.timestampsMs[i]!;
        vs[j++] = s.values[i]!;
      }
      out.push({ labels: s.labels, ts, vs });
    }
    this.#loaded.set(sel, out);
  }

  eval(e: Expr, t: number): Value {
    switch (e.kind) {
      case 'number':
        return { type: 'scalar', v: e.value };
      case 'string':
        return { type: 'string', v: e.value };
      case 'vector':
        return { type: 'vector', v: this.#instant(e, t) };
      case 'matrix':
        return { type: 'matrix', v: this.#range(e, t) };
      case 'subquery':
        return { type: 'matrix', v: this.#subquery(e, t) };
      case 'unary': {
        const v = this.eval(e.expr, t);
        if (v.type === 'scalar') return { type: 'scalar', v: -v.v };
        return { type: 'vector', v: this.#vec(v).map((s) => ({ labels: dropName(s.labels), value: -s.value })) };
      }
      case 'aggregate': {
        const vec = this.#vec(this.eval(e.expr, t));
        const p = e.param ? this.eval(e.param, t) : undefined;
        return { type: 'vector', v: aggregate(e, vec, p === undefined ? undefined : (p.v as number | string)) };
      }
      case 'binary': {
        const l = this.eval(e.lhs, t);
        const r = this.eval(e.rhs, t);
        if (l.type === 'scalar' && r.type === 'scalar') return { type: 'scalar', v: scalarBinop(e.op, l.v, r.v) };
        if (l.type === 'vector' && r.type === 'vector') return { type: 'vector', v: vectorVector(e, l.v, r.v) };
        if (l.type === 'vector') return { type: 'vector', v: vectorScalar(e, l.v, r.v as number, false) };
        return { type: 'vector', v: vectorScalar(e, this.#vec(r), l.v as number, true) };
      }
      case 'call':
        return this.#call(e, t);
    }
  }

  #vec(v: Value): Sample[] {
    if (v.type !== 'vector') throw new OutriderError(evalErrorCode, `expected an instant vector, got ${v.type}`);
    return v.v;
  }

  #scalar(v: Value): number {
    if (v.type !== 'scalar') throw new OutriderError(evalErrorCode, `expected a scalar, got ${v.type}`);
    return v.v;
  }

  #instant(sel: VectorSelector, t: number): Sample[] {
    const ref = (this.#atMs(sel.at) ?? t) - sel.offsetMs;
    const out: Sample[] = [];
    for (const s of this.#loaded.get(sel) ?? []) {
      const i = lastAtOrBefore(s.ts, ref);
      if (i < 0 || s.ts[i]! < ref - this.#limits.lookbackMs) continue;
      const v = s.vs[i]!;
      if (Number.isNaN(v) && isStaleNaN(v)) continue;
      out.push({ labels: s.labels, value: v, tMs: s.ts[i]! });
    }
    this.touch(out.length);
    return out;
  }

  #range(m: MatrixSelector, t: number): MatrixValue {
    const endMs = (this.#atMs(m.vector.at) ?? t) - m.vector.offsetMs;
    const startMs = endMs - m.rangeMs;
    const series: SeriesWindow[] = [];
    let n = 0;
    for (const s of this.#loaded.get(m.vector) ?? []) {
      const a = firstAtOrAfter(s.ts, startMs);
      const b = lastAtOrBefore(s.ts, endMs) + 1;
      if (b <= a) continue;
      series.push({ labels: s.labels, ts: s.ts.subarray(a, b), vs: s.vs.subarray(a, b) });
      n += b - a;
    }
    this.touch(n);
    return { series, startMs, endMs, rangeMs: m.rangeMs };
  }

  #subquery(q: Subquery, t: number): MatrixValue {
    const endMs = (this.#atMs(q.at) ?? t) - q.offsetMs;
    const startMs = endMs - q.rangeMs;
    const step = q.stepMs ?? this.#limits.subqueryStepMs;
    let first = Math.trunc(startMs / step) * step;
    if (first < startMs) first += step;
    const bySeries = new Map<string, { labels: Labels; ts: number[]; vs: number[] }>();
    for (let ts = first; ts <= endMs; ts += step) {
      this.checkDeadline();
      for (const s of this.#vec(this.eval(q.expr, ts))) {
        const k = labelsKey(s.labels);
        let acc = bySeries.get(k);
        if (!acc) bySeries.set(k, (acc = { labels: s.labels, ts: [], vs: [] }));
        acc.ts.push(ts);
        acc.vs.push(s.value);
      }
    }
    return { series: [...bySeries.values()], startMs, endMs, rangeMs: q.rangeMs };
  }

  #call(e: Call, t: number): Value {
    const name = e.name;
    if (name === 'time') return { type: 'scalar', v: t / 1000 };
    const args = e.args.map((a) => this.eval(a, t));
    const fn = rangeFns[name];
    if (fn) {
      const mi = name === 'quantile_over_time' ? 1 : 0;
      const m = args[mi]!.v as MatrixValue;
      const arg = name === 'quantile_over_time' ? this.#scalar(args[0]!) : name === 'predict_linear' ? this.#scalar(args[1]!) : 0;
      const out: Sample[] = [];
      for (const w of m.series) {
        const v = fn(w, m, t, arg); // predict_linear's regression is anchored at the evaluation time;
        if (v !== undefined) out.push({ labels: name === 'last_over_time' ? w.labels : dropName(w.labels), value: v });
      }
      if (name !== 'last_over_time') checkUnique(out, name);
      return { type: 'vector', v: out };
    }
    if (name === 'absent_over_time') {
      const m = args[0]!.v as MatrixValue;
      return { type: 'vector', v: m.series.length > 0 ? [] : [{ labels: absentLabels(e.args[0]!), value: 1 }] };
    }
    if (name === 'scalar') {
      const vec = this.#vec(args[0]!);
      return { type: 'scalar', v: vec.length === 1 ? vec[0]!.value : NaN };
    }
    if (name === 'vector') return { type: 'vector', v: [{ labels: {}, value: this.#scalar(args[0]!) }] };
    const vec = this.#vec(args[name === 'histogram_quantile' ? 1 : 0]!);
    if (isMathFn(name)) return this.#unique(mapValues(name, vec), name);
    switch (name) {
      case 'round':
        return this.#unique(round(vec, args[1] ? this.#scalar(args[1]) : 1), name);
      case 'clamp':
        return this.#unique(clamp(vec, this.#scalar(args[1]!), this.#scalar(args[2]!)), name);
      case 'clamp_min':
        return this.#unique(clampMin(vec, this.#scalar(args[1]!)), name);
      case 'clamp_max':
        return this.#unique(clampMax(vec, this.#scalar(args[1]!)), name);
      case 'timestamp': {
        const own = unwrapsToSelector(e.args[0]!);
        return this.#unique(
          vec.map((s) => ({ labels: dropName(s.labels), value: (own && s.tMs !== undefined ? s.tMs : t) / 1000 })),
          name,
        );
      }
      case 'absent':
        return { type: 'vector', v: vec.length > 0 ? [] : [{ labels: absentLabels(e.args[0]!), value: 1 }] };
      case 'label_replace':
        return this.#unique(labelReplace(vec, str(args[1]!), str(args[2]!), str(args[3]!), str(args[4]!)), name);
      case 'label_join':
        return this.#unique(labelJoin(vec, str(args[1]!), str(args[2]!), args.slice(3).map(str)), name);
      case 'histogram_quantile':
        return this.#unique(histogramQuantile(this.#scalar(args[0]!), vec), name);
      case 'sort':
        return { type: 'vector', v: vec.slice().sort((a, b) => sortKey(a.value, b.value)) };
      case 'sort_desc':
        return { type: 'vector', v: vec.slice().sort((a, b) => sortKey(b.value, a.value)) };
    }
    throw new OutriderError(evalErrorCode, `function ${name}() has no implementation`);
  }

  #unique(vec: Sample[], what: string): Value {
    checkUnique(vec, what);
    return { type: 'vector', v: vec };
  }

  /** An instant result at t: a vector, a scalar, a string or (a bare range selector or subquery) a matrix. */
  instantAt(e: Expr, t: number): Value {
    this.preload(e, t, t);
    const v = this.eval(e, t);
    if (v.type === 'vector') checkUnique(v.v, 'result');
    return v;
  }

  /** A range result: the expression at every step, series joined by their labels. */
  rangeOver(e: Expr, start: number, end: number, step: number): { labels: Labels; points: [number, number][] }[] {
    if (typeOf(e) !== 'vector' && typeOf(e) !== 'scalar') {
      throw new OutriderError(evalErrorCode, `invalid expression type "${typeOf(e) === 'matrix' ? 'range vector' : typeOf(e)}" for range query, must be Scalar or instant Vector`);
    }
    this.preload(e, start, end);
    const out = new Map<string, { labels: Labels; points: [number, number][] }>();
    for (let t = start; t <= end; t += step) {
      this.checkDeadline();
      const v = this.eval(e, t);
      const samples = v.type === 'scalar' ? [{ labels: {}, value: v.v }] : this.#vec(v);
      checkUnique(samples, 'result');
      this.touch(samples.length);
      for (const s of samples) {
        const k = labelsKey(s.labels);
        let acc = out.get(k);
        if (!acc) out.set(k, (acc = { labels: s.labels, points: [] }));
        acc.points.push([t, s.value]);
      }
    }
    return [...out.values()];
  }
}

function str(v: Value): string {
  return v.v as string;
}

function sortKey(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a - b;
}

function unwrapsToSelector(e: Expr): boolean {
  return e.kind === 'vector';
}
