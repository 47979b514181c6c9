/** A small in-memory HistoryReader for the query tests: series with explicit samples, Prometheus matcher semantics. */
import { OutriderError } from '../../agent/core/errors';
import { STALE_NAN, type HistoryReader, type LabelMatcher, type SeriesSamples } from '../../agent/history/types';
import type { Labels } from '../../agent/store/types';

export interface MemorySeries {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

/** A point's value: a number, or 'stale' for the staleness marker (written straight into the Float64Array, since V8
 * may canonicalise a NaN kept in an ordinary array and lose the marker's payload). */
export type PointValue = number | 'stale';

const regexes = new Map<string, RegExp>();

function anchored(re: string): RegExp {
  let r = regexes.get(re);
  if (!r) regexes.set(re, (r = new RegExp(`^(?:${re})$`)));
  return r;
}

export function matches(m: LabelMatcher, value: string | undefined): boolean {
  const v = value ?? '';
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return anchored(m.value).test(v);
    case '!~':
      return !anchored(m.value).test(v);
  }
}

export class MemoryHistory implements HistoryReader {
  readonly stepMs: number;
  readonly series: MemorySeries[] = [];
  selects = 0;

  constructor(stepMs = 60_000) {
    this.stepMs = stepMs;
  }

  add(labels: Labels, points: ReadonlyArray<readonly [number, PointValue]>): this {
    const ts = new Float64Array(points.length);
    const vs = new Float64Array(points.length);
    points.forEach(([t, v], i) => {
      ts[i] = t;
      vs[i] = v === 'stale' ? STALE_NAN : v;
    });
    this.series.push({ labels, ts, vs });
    return this;
  }

  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): SeriesSamples[] {
    this.selects++;
    if (matchers.every((m) => matches(m, ''))) throw new OutriderError('OUTRIDER_ERR_HISTORY_EMPTY_MATCHER', 'at least one matcher must not match the empty string');
    const out: SeriesSamples[] = [];
    for (const s of this.series) {
      if (!matchers.every((m) => matches(m, s.labels[m.name]))) continue;
      let a = 0;
      while (a < s.ts.length && s.ts[a]! < startMs) a++;
      let b = a;
      while (b < s.ts.length && s.ts[b]! <= endMs) b++;
      if (b === a) continue;
      out.push({ labels: s.labels, timestampsMs: s.ts.slice(a, b), values: s.vs.slice(a, b) });
    }
    return out;
  }

  labelNames(): string[] {
    return [...new Set(this.series.flatMap((s) => Object.keys(s.labels)))].sort();
  }

  labelValues(name: string): string[] {
    return [...new Set(this.series.map((s) => s.labels[name]).filter((v): v is string => v !== undefined))].sort();
  }

  oldestMs(): number | undefined {
    const all = this.series.flatMap((s) => Array.from(s.ts));
    return all.length ? Math.min(...all) : undefined;
  }

  newestMs(): number | undefined {
    const all = this.series.flatMap((s) => Array.from(s.ts));
    return all.length ? Math.max(...all) : undefined;
  }

  subscribe(): () => void {
    return () => {};
  }
}
