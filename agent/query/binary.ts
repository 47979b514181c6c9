/** Binary operators: arithmetic, comparison (filtering or with bool), set operators, and vector matching. */
import { OutriderError } from '../core/errors';
import type { Labels } from '../store/types';
import { comparisonOps, type Binary, type BinaryOp, type VectorMatching } from './ast';
import { evalErrorCode } from './functions';
import type { Sample } from './value';
import { dropName, labelsKey, matchKey } from './value';

// Arithmetic drops the metric name; Prometheus 2.x leaves it on atan2's result, as on comparisons and set operators.
const dropsName = (op: BinaryOp): boolean => !comparisonOps.has(op) && op !== 'and' && op !== 'or' && op !== 'unless' && op !== 'atan2';

/** The value of `l op r` and whether a comparison keeps it (Prometheus's vectorElemBinop). */
export function elemBinop(op: BinaryOp, l: number, r: number): [number, boolean] {
  switch (op) {
    case '+':
      return [l + r, true];
    case '-':
      return [l - r, true];
    case '*':
      return [l * r, true];
    case '/':
      return [l / r, true];
    case '%':
      return [l % r, true];
    case '^':
      return [Math.pow(l, r), true];
    case 'atan2':
      return [Math.atan2(l, r), true];
    case '==':
      return [l, l === r];
    case '!=':
      return [l, l !== r];
    case '>':
      return [l, l > r];
    case '<':
      return [l, l < r];
    case '>=':
      return [l, l >= r];
    case '<=':
      return [l, l <= r];
    default:
      throw new OutriderError(evalErrorCode, `operator ${op} not allowed for scalars`);
  }
}

export function scalarBinop(op: BinaryOp, l: number, r: number): number {
  const [v, keep] = elemBinop(op, l, r);
  return comparisonOps.has(op) ? (keep ? 1 : 0) : v;
}

/** A vector and a scalar; `swap` when the scalar was on the left. */
export function vectorScalar(node: Binary, vec: readonly Sample[], scalar: number, swap: boolean): Sample[] {
  const out: Sample[] = [];
  const isComparison = comparisonOps.has(node.op);
  for (const s of vec) {
    const [l, r] = swap ? [scalar, s.value] : [s.value, scalar];
    let [value, keep] = elemBinop(node.op, l, r);
    if (isComparison && swap) value = r;
    if (node.bool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (keep) out.push({ labels: dropsName(node.op) || node.bool ? dropName(s.labels) : s.labels, value });
  }
  return out;
}

function resultLabels(lhs: Labels, rhs: Labels, op: BinaryOp, m: VectorMatching): Labels {
  const out: Record<string, string> = { ...lhs };
  if (dropsName(op)) delete out['__name__'];
  if (m.card === 'one-to-one') {
    if (m.on) {
      for (const n of Object.keys(out)) if (!m.labels.includes(n)) delete out[n];
    } else {
      for (const n of m.labels) delete out[n];
    }
  }
  for (const n of m.include) {
    const v = rhs[n];
    if (v !== undefined && v !== '') out[n] = v;
    else delete out[n];
  }
  return out;
}

export function vectorVector(node: Binary, lhsIn: readonly Sample[], rhsIn: readonly Sample[]): Sample[] {
  const m = node.matching!;
  switch (node.op) {
    case 'and':
      return setAnd(lhsIn, rhsIn, m, true);
    case 'unless':
      return setAnd(lhsIn, rhsIn, m, false);
    case 'or':
      return setOr(lhsIn, rhsIn, m);
  }
  const swap = m.card === 'one-to-many';
  const [lhs, rhs] = swap ? [rhsIn, lhsIn] : [lhsIn, rhsIn];
  const right = new Map<string, Sample>();
  for (const rs of rhs) {
    const sig = matchKey(rs.labels, m.on, m.labels);
    const dupl = right.get(sig);
    if (dupl) {
      throw new OutriderError(
        evalErrorCode,
        `found duplicate series for the match group on the ${swap ? 'left' : 'right'} hand-side of the operation: [${labelText(rs.labels)}, ${labelText(dupl.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    right.set(sig, rs);
  }
  const matched = new Map<string, Set<string> | null>();
  const out: Sample[] = [];
  for (const ls of lhs) {
    const sig = matchKey(ls.labels, m.on, m.labels);
    const rs = right.get(sig);
    if (!rs) continue;
    const [vl, vr] = swap ? [rs.value, ls.value] : [ls.value, rs.value];
    const [computed, keep] = elemBinop(node.op, vl, vr);
    if (!node.bool && !keep) continue;
    const value = node.bool ? (keep ? 1 : 0) : computed;
    let labels = resultLabels(ls.labels, rs.labels, node.op, m);
    if (node.bool) labels = dropName(labels);
    const inserted = matched.get(sig);
    if (m.card === 'one-to-one') {
      if (inserted !== undefined) throw new OutriderError(evalErrorCode, 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      matched.set(sig, null);
    } else {
      const key = labelsKey(labels);
      let set = inserted;
      if (!set) matched.set(sig, (set = new Set()));
      else if (set.has(key)) throw new OutriderError(evalErrorCode, 'multiple matches for labels: grouping labels must ensure unique matches');
      set.add(key);
    }
    out.push({ labels, value });
  }
  return out;
}

function setAnd(lhs: readonly Sample[], rhs: readonly Sample[], m: VectorMatching, keepMatched: boolean): Sample[] {
  const sigs = new Set(rhs.map((s) => matchKey(s.labels, m.on, m.labels)));
  return lhs.filter((s) => sigs.has(matchKey(s.labels, m.on, m.labels)) === keepMatched);
}

function setOr(lhs: readonly Sample[], rhs: readonly Sample[], m: VectorMatching): Sample[] {
  const sigs = new Set(lhs.map((s) => matchKey(s.labels, m.on, m.labels)));
  return [...lhs, ...rhs.filter((s) => !sigs.has(matchKey(s.labels, m.on, m.labels)))];
}

export function labelText(labels: Labels): string {
  return `{${Object.keys(labels)
    .sort()
    .map((n) => `${n}=${JSON.stringify(labels[n])}`)
    .join(', ')}}`;
}
