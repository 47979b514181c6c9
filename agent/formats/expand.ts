/**
 * The Prometheus expansion of a distribution into plain samples, the one every writer of the text format, remote
 * write and the tests share:
 *
 * - histogram: `<name>_bucket{le="<bound>"}` per cumulative bucket, plus `le="+Inf"` (= count) when the buckets
 *   stop short of it;
 * - summary (and any other family holding a distribution): `<name>{quantile="<q>"}` per quantile;
 * - then `<name>_sum` and `<name>_count`.
 */
import type { Distribution, MetricType } from '../store/types';
import { formatValue } from './value';

/** One expanded sample: the suffix to the family name, the extra label (if any) and the value. */
export type ExpandVisitor = (suffix: '' | '_bucket' | '_sum' | '_count', label: 'le' | 'quantile' | undefined, labelValue: string, value: number) => void;

export function expandDistribution(type: MetricType, d: Distribution, visit: ExpandVisitor): void {
  if (type === 'histogram') {
    let sawInf = false;
    for (const [le, c] of d.buckets ?? []) {
      if (le === Infinity) sawInf = true;
      visit('_bucket', 'le', formatValue(le), c);
    }
    if (!sawInf) visit('_bucket', 'le', '+Inf', d.count);
  } else {
    for (const [q, v] of d.quantiles ?? []) visit('', 'quantile', formatValue(q), v);
  }
  visit('_sum', undefined, '', d.sum);
  visit('_count', undefined, '', d.count);
}

/** Whether a sample named `name` belongs to the `family` distribution family by its suffix. */
export function distributionSuffix(type: MetricType | undefined, family: string, name: string): boolean {
  if (type !== 'histogram' && type !== 'summary') return false;
  if (!name.startsWith(family)) return false;
  const rest = name.slice(family.length);
  return rest === '_sum' || rest === '_count' || (type === 'histogram' && rest === '_bucket');
}
