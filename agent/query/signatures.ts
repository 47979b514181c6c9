/** The functions the engine supports, with their argument types; anything else is refused when a query is compiled. */
import type { ValueType } from './ast';

export interface Signature {
  readonly args: readonly ValueType[];
  /** Arguments that may be left out from the end. */
  readonly optional?: number;
  /** The last argument may repeat (label_join's source labels). */
  readonly variadic?: boolean;
  readonly returns: 'vector' | 'scalar';
}

const v = 'vector';
const m = 'matrix';
const s = 'scalar';
const str = 'string';

const math1: Signature = { args: [v], returns: 'vector' };
const overTime: Signature = { args: [m], returns: 'vector' };

export const signatures: Readonly<Record<string, Signature>> = {
  abs: math1,
  ceil: math1,
  floor: math1,
  exp: math1,
  ln: math1,
  log2: math1,
  log10: math1,
  sqrt: math1,
  sgn: math1,
  round: { args: [v, s], optional: 1, returns: 'vector' },
  clamp: { args: [v, s, s], returns: 'vector' },
  clamp_min: { args: [v, s], returns: 'vector' },
  clamp_max: { args: [v, s], returns: 'vector' },
  time: { args: [], returns: 'scalar' },
  timestamp: { args: [v], returns: 'vector' },
  vector: { args: [s], returns: 'vector' },
  scalar: { args: [v], returns: 'scalar' },
  absent: { args: [v], returns: 'vector' },
  absent_over_time: overTime,
  label_replace: { args: [v, str, str, str, str], returns: 'vector' },
  label_join: { args: [v, str, str, str], optional: 1, variadic: true, returns: 'vector' },
  histogram_quantile: { args: [s, v], returns: 'vector' },
  sort: math1,
  sort_desc: math1,
  rate: overTime,
  irate: overTime,
  increase: overTime,
  delta: overTime,
  idelta: overTime,
  deriv: overTime,
  predict_linear: { args: [m, s], returns: 'vector' },
  changes: overTime,
  resets: overTime,
  avg_over_time: overTime,
  min_over_time: overTime,
  max_over_time: overTime,
  sum_over_time: overTime,
  count_over_time: overTime,
  last_over_time: overTime,
  stddev_over_time: overTime,
  stdvar_over_time: overTime,
  present_over_time: overTime,
  quantile_over_time: { args: [s, m], returns: 'vector' },
};
