/**
 * The live page's first screen: the panels computed over the local history's rounds in a window, columnar
 * (`{ t: [ms...], panels: { id: { column: [value|null...] } } }`), with at most `maxRounds` rounds (a longer
 * window is thinned to every k-th round, rates still taken between the rounds kept).
 */
import type { HistoryReader, LabelMatcher, SeriesSamples } from '../history/types';
import { isStaleNaN } from '../history/types';
import type { Labels } from '../store/types';
import { computeRound, panelNames, Point, Rates, Round } from './panels';

export interface HistoryBody {
  /** Time between rounds in ms (the history's step, times the thinning). */
  stepMs: number;
  t: number[];
  panels: Record<string, Record<string, Array<number | null>>>;
}

/** Rounds a history answer holds at most. */
export const MAX_ROUNDS = 720;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Indexed {
  labels: Labels;
  times: Float64Array;
  values: Float64Array;
  at: number;
}

function withoutName(l: Labels): Labels {
  const { __name__: _n, ...rest } = l;
  return rest;
}

export function historyBody(reader: HistoryReader, startMs: number, endMs: number, maxRounds = MAX_ROUNDS): HistoryBody {
  const { names, prefixes } = panelNames();
  const byName = new Map<string, Indexed[]>();
  const add = (list: SeriesSamples[]) => {
    for (const s of list) {
      const name = s.labels.__name__ ?? '';
      let arr = byName.get(name);
      if (!arr) byName.set(name, (arr = []));
      arr.push({ labels: withoutName(s.labels), times: s.timestampsMs, values: s.values, at: 0 });
    }
  };
  const select = (m: LabelMatcher) => add(reader.select([m], startMs, endMs));
  for (const name of names) select({ name: '__name__', type: '=', value: name });
  for (const p of prefixes) select({ name: '__name__', type: '=~', value: escapeRegex(p) + '.+' });

  const all = new Set<number>();
  for (const list of byName.values()) for (const s of list) for (const t of s.times) all.add(t);
  let times = [...all].sort((a, b) => a - b);
  const k = Math.max(1, Math.ceil(times.length / maxRounds));
  if (k > 1) times = times.filter((_, i) => (times.length - 1 - i) % k === 0);

  const rates = new Rates();
  const out: HistoryBody = { stepMs: reader.stepMs * k, t: [], panels: {} };
  for (const t of times) {
    const pointsOf = (name: string): Point[] => {
      const res: Point[] = [];
      for (const s of byName.get(name) ?? []) {
        while (s.at < s.times.length && s.times[s.at]! < t) s.at++;
        if (s.at < s.times.length && s.times[s.at] === t && !isStaleNaN(s.values[s.at]!)) res.push({ labels: s.labels, value: s.values[s.at]! });
      }
      return res;
    };
    const cache = new Map<string, Point[]>();
    const get = (name: string) => {
      let p = cache.get(name);
      if (!p) cache.set(name, (p = pointsOf(name)));
      return p;
    };
    const round: Round = {
      tMs: t,
      get,
      prefixed: (prefix) =>
        [...byName.keys()]
          .filter((n) => n.startsWith(prefix))
          .sort()
          .map((n) => [n, get(n)] as const),
    };
    const vals = computeRound(round, rates);
    const i = out.t.length;
    out.t.push(t);
    for (const [id, cols] of Object.entries(vals)) {
      const panel = (out.panels[id] ??= {});
      for (const [col, v] of Object.entries(cols)) {
        const arr = (panel[col] ??= new Array<number | null>(i).fill(null));
        arr.push(v);
      }
      for (const arr of Object.values(panel)) while (arr.length < i + 1) arr.push(null);
    }
  }
  return out;
}
