/**
 * The plain samples a distribution expands to (`expandDistribution`'s order and label values), for the history's
 * per-round append: each part's label value and slot key made once per bound and kept (bounded), and the parts and
 * their values put into arrays the caller reuses, so a histogram's round makes no string, closure or array.
 */
import type { Distribution, MetricType } from '../store/types';
import { formatValue } from '../formats/value';

export interface DistPart {
  readonly suffix: '' | '_bucket' | '_sum' | '_count';
  readonly label: 'le' | 'quantile' | undefined;
  readonly labelValue: string;
  /** The part's key in a series' slot map: the suffix, and for a bucket or quantile NUL and the label value. */
  readonly key: string;
}

const SUM: DistPart = { suffix: '_sum', label: undefined, labelValue: '', key: '_sum' };
const COUNT: DistPart = { suffix: '_count', label: undefined, labelValue: '', key: '_count' };
const MAX_BOUNDS = 4096;
const buckets = new Map<number, DistPart>();
const quantiles = new Map<number, DistPart>();

function part(m: Map<number, DistPart>, suffix: '' | '_bucket', label: 'le' | 'quantile', bound: number): DistPart {
  let p = m.get(bound);
  if (p === undefined) {
    const labelValue = formatValue(bound);
    p = { suffix, label, labelValue, key: `${suffix}\u0000${labelValue}` };
    if (m.size >= MAX_BOUNDS) m.clear();
    m.set(bound, p);
  }
  return p;
}

/** Fills `parts` and `values` (emptied first) with `d`'s expansion; returns how many. */
export function distParts(type: MetricType, d: Distribution, parts: DistPart[], values: number[]): number {
  parts.length = 0;
  values.length = 0;
  if (type === 'histogram') {
    let sawInf = false;
    const bs = d.buckets;
    if (bs !== undefined)
      for (let i = 0; i < bs.length; i++) {
        const b = bs[i]!;
        if (b[0] === Infinity) sawInf = true;
        parts.push(part(buckets, '_bucket', 'le', b[0]));
        values.push(b[1]);
      }
    if (!sawInf) {
      parts.push(part(buckets, '_bucket', 'le', Infinity));
      values.push(d.count);
    }
  } else {
    const qs = d.quantiles;
    if (qs !== undefined)
      for (let i = 0; i < qs.length; i++) {
        parts.push(part(quantiles, '', 'quantile', qs[i]![0]));
        values.push(qs[i]![1]);
      }
  }
  parts.push(SUM);
  values.push(d.sum);
  parts.push(COUNT);
  values.push(d.count);
  return parts.length;
}
