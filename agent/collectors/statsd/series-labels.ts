/** DogStatsD tags to Prometheus labels, and the HELP of a StatsD family. */
import { sanitizeLabelName, Labels } from '../../store/types';
import type { RawEntry } from './aggregate';
import type { MappingResult } from './mapping';

const labelNameCache = new Map<string, string>();

function labelName(k: string): string {
  let n = labelNameCache.get(k);
  if (n === undefined) {
    n = sanitizeLabelName(k);
    if (labelNameCache.size > 10_000) labelNameCache.clear();
    labelNameCache.set(k, n);
  }
  return n;
}

/**
 * DogStatsD tags to labels: "key:value" becomes key="value" (name sanitized; the last of a repeated key wins);
 * a tag without a value is dropped (Prometheus has no valueless labels). Mapping labels win over tags.
 */
export function tagsToLabels(tags: string, m: MappingResult | null): Labels {
  const out: Record<string, string> = {};
  if (tags !== '') {
    let start = 0;
    while (start < tags.length) {
      let end = tags.indexOf(',', start);
      if (end < 0) end = tags.length;
      const colon = tags.indexOf(':', start);
      if (colon > start && colon < end - 0) {
        const name = labelName(tags.slice(start, colon));
        if (name !== 'quantile' && name !== 'le') out[name] = tags.slice(colon + 1, end);
      }
      start = end + 1;
    }
  }
  if (m) for (const [k, v] of Object.entries(m.labels)) out[k] = v;
  return out;
}

export function helpFor(type: RawEntry['type'], name: string): string {
  const what = { c: 'counter', g: 'gauge', s: 'set (distinct values per flush interval)', ms: 'timer (seconds)', h: 'histogram', d: 'distribution' }[type];
  return `StatsD ${what} ${name}.`;
}
