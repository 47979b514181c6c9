/** The store's series as remote write time series (histograms and summaries expanded the Prometheus way). */
import { formatValue } from '../../exposition/render';
import type { Series, Store } from '../../store/store';
import type { RwSeries } from './protobuf';

type Meta = RwSeries['meta'];

function series(name: string, labels: Readonly<Record<string, string>>, extra: readonly [string, string] | undefined, value: number, ts: number, meta: Meta): RwSeries {
  const l: Array<[string, string]> = [['__name__', name]];
  for (const k of Object.keys(labels)) l.push([k, labels[k]!]);
  if (extra) l.push([extra[0], extra[1]]);
  l.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { labels: l, samples: [[value, ts]], meta };
}

export function storeToSeries(store: Store, nowMs: number, extraLabels: Readonly<Record<string, string>> = {}, filter?: (s: Series) => boolean): RwSeries[] {
  const out: RwSeries[] = [];
  const hasExtra = Object.keys(extraLabels).length > 0;
  for (const fam of store.families()) {
    const meta: Meta = { type: fam.type, help: fam.help };
    for (const s of fam.series.values()) {
      if (filter && !filter(s)) continue;
      const labels = hasExtra ? { ...extraLabels, ...s.labels } : s.labels;
      const ts = s.timestampMs ?? nowMs;
      const d = s.dist;
      if (!d) {
        out.push(series(fam.name, labels, undefined, s.value, ts, meta));
        continue;
      }
      if (fam.type === 'histogram' && d.buckets) {
        for (const [le, c] of d.buckets) out.push(series(`${fam.name}_bucket`, labels, ['le', formatValue(le)], c, ts, meta));
        if (!d.buckets.some(([le]) => le === Infinity)) out.push(series(`${fam.name}_bucket`, labels, ['le', '+Inf'], d.count, ts, meta));
      } else if (d.quantiles) {
        for (const [q, v] of d.quantiles) out.push(series(fam.name, labels, ['quantile', formatValue(q)], v, ts, meta));
      }
      out.push(series(`${fam.name}_sum`, labels, undefined, d.sum, ts, meta));
      out.push(series(`${fam.name}_count`, labels, undefined, d.count, ts, meta));
    }
  }
  return out;
}
