/** Aggregation operators (sum, avg, topk, quantile, count_values...) with by/without, as Prometheus 2.x computes them. */
import type { Labels } from '../store/types';
import type { Aggregate } from './ast';
import { formatFloatPlain } from './literals';
import { quantile } from './range-functions';
import type { Sample } from './value';
import { labelsKey } from './value';

interface Group {
  labels: Labels;
  value: number;
  mean: number;
  count: number;
  members: Sample[];
}

function groupLabels(labels: Labels, grouping: readonly string[], without: boolean): Labels {
  const out: Record<string, string> = {};
  if (without) {
    for (const [n, v] of Object.entries(labels)) if (n !== '__name__' && !grouping.includes(n)) out[n] = v;
  } else {
    for (const n of grouping) if (labels[n] !== undefined && labels[n] !== '') out[n] = labels[n]!;
  }
  return out;
}

/** avg's running mean, which stays at ±Inf rather than turning NaN. */
function addToMean(g: Group, v: number): void {
  g.count++;
  if (!Number.isFinite(g.mean) && !Number.isNaN(g.mean)) {
    if (!Number.isFinite(v) && !Number.isNaN(v) && g.mean > 0 === v > 0) return;
    if (Number.isFinite(v)) return;
  }
  g.mean += v / g.count - g.mean / g.count;
}

export function aggregate(node: Aggregate, vec: readonly Sample[], param: number | string | undefined): Sample[] {
  const { op, grouping, without } = node;
  if (op === 'count_values') return countValues(vec, String(param), grouping, without);
  const groups = new Map<string, Group>();
  for (const s of vec) {
    const labels = groupLabels(s.labels, grouping, without);
    const key = labelsKey(labels);
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { labels, value: op === 'stddev' || op === 'stdvar' ? 0 : s.value, mean: s.value, count: 1, members: [s] });
      continue;
    }
    switch (op) {
      case 'sum':
        g.value += s.value;
        break;
      case 'avg':
        addToMean(g, s.value);
        break;
      case 'count':
      case 'group':
        g.count++;
        break;
      case 'max':
        if (g.value < s.value || Number.isNaN(g.value)) g.value = s.value;
        break;
      case 'min':
        if (g.value > s.value || Number.isNaN(g.value)) g.value = s.value;
        break;
      case 'stddev':
      case 'stdvar': {
        g.count++;
        const delta = s.value - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (s.value - g.mean);
        break;
      }
      default:
        g.members.push(s);
    }
  }
  const out: Sample[] = [];
  for (const g of groups.values()) {
    switch (op) {
      case 'sum':
      case 'max':
      case 'min':
        out.push({ labels: g.labels, value: g.value });
        break;
      case 'avg':
        out.push({ labels: g.labels, value: g.mean });
        break;
      case 'count':
        out.push({ labels: g.labels, value: g.count });
        break;
      case 'group':
        out.push({ labels: g.labels, value: 1 });
        break;
      case 'stdvar':
        out.push({ labels: g.labels, value: g.value / g.count });
        break;
      case 'stddev':
        out.push({ labels: g.labels, value: Math.sqrt(g.value / g.count) });
        break;
      case 'quantile':
        out.push({
          labels: g.labels,
          value: quantile(
            param as number,
            g.members.map((m) => m.value),
          ),
        });
        break;
      case 'topk':
      case 'bottomk':
        out.push(...topK(g.members, param as number, op === 'topk'));
        break;
    }
  }
  return out;
}

/** topk/bottomk keep the members' own labels; NaN ranks last either way. */
function topK(members: Sample[], kParam: number, top: boolean): Sample[] {
  const k = Math.trunc(kParam);
  if (!(k >= 1)) return [];
  const sorted = members.slice().sort((a, b) => {
    if (Number.isNaN(a.value)) return Number.isNaN(b.value) ? 0 : 1;
    if (Number.isNaN(b.value)) return -1;
    return top ? b.value - a.value : a.value - b.value;
  });
  return sorted.slice(0, k);
}

function countValues(vec: readonly Sample[], label: string, grouping: readonly string[], without: boolean): Sample[] {
  const groups = new Map<string, Sample>();
  for (const s of vec) {
    const labels = { ...groupLabels(s.labels, grouping, without), [label]: formatFloatPlain(s.value) };
    const key = labelsKey(labels);
    const g = groups.get(key);
    groups.set(key, { labels: g?.labels ?? labels, value: (g?.value ?? 0) + 1 });
  }
  return [...groups.values()];
}
