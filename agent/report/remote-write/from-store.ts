/** The store's series as remote write time series (histograms and summaries expanded the Prometheus way). */
import { expandDistribution } from '../../formats/expand';
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
      expandDistribution(fam.type, d, (suffix, label, labelValue, v) => out.push(series(fam.name + suffix, labels, label ? [label, labelValue] : undefined, v, ts, meta)));
    }
  }
  return out;
}
