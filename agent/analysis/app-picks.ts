/**
 * Application series chosen for anomaly detection without configuration: every PICK_INTERVAL_MS, the `k` series of
 * application families (StatsD, scrape, OTLP: anything not named like the host's, the pod's or the agent's own
 * series) whose value changed most often over the last PICK_WINDOW_MS. Change counts compare series of any unit or
 * type (a counter's increments, a gauge's moves) and leave out series that never move, which have nothing to score.
 * Bounded: at most `k` series, ties broken by label set so the choice is stable.
 */
import type { HistoryReader } from '../history/types';
import { labelKey } from '../store/store';

export const PICK_INTERVAL_MS = 60_000;
export const PICK_WINDOW_MS = 300_000;

/** Families of the host, the pod's cgroups, the agent and Prometheus's synthetic series: not application series. */
const NOT_APPLICATION = /^(node_|container_|machine_|outrider_|process_|scrape_|go_|nodejs_)|^(up|ALERTS|ALERTS_FOR_STATE)$/;

export function isApplicationFamily(name: string): boolean {
  return !NOT_APPLICATION.test(name);
}

export class AppPicker {
  readonly #k: number;
  #nextMs = -Infinity;
  #picks: ReadonlyMap<string, ReadonlySet<string>> = new Map();

  constructor(k: number) {
    this.#k = k;
  }

  /** The picks (family → series keys, labels with __name__), recomputed when due; `skip` families are never picked. */
  picks(history: HistoryReader, tMs: number, skip: ReadonlySet<string>): ReadonlyMap<string, ReadonlySet<string>> {
    if (tMs < this.#nextMs) return this.#picks;
    this.#nextMs = tMs + PICK_INTERVAL_MS;
    const start = tMs - PICK_WINDOW_MS;
    const ranked: { family: string; key: string; changes: number }[] = [];
    for (const family of history.labelValues('__name__', start, tMs)) {
      if (skip.has(family) || !isApplicationFamily(family)) continue;
      for (const s of history.select([{ name: '__name__', type: '=', value: family }], start, tMs)) {
        let changes = 0;
        let prev = Number.NaN;
        for (const v of s.values) {
          if (Number.isNaN(v)) continue; // NaN and staleness markers are no change
          if (!Number.isNaN(prev) && v !== prev) changes++;
          prev = v;
        }
        if (changes > 0) ranked.push({ family, key: labelKey(s.labels), changes });
      }
    }
    ranked.sort((a, b) => b.changes - a.changes || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const picks = new Map<string, Set<string>>();
    for (const r of ranked.slice(0, this.#k)) {
      let set = picks.get(r.family);
      if (!set) picks.set(r.family, (set = new Set()));
      set.add(r.key);
    }
    this.#picks = picks;
    return picks;
  }
}
