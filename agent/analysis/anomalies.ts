/**
 * Anomaly detection over the local history: one streaming detector (./detector.ts) per series of the analysed
 * families, fed each sampling round's new points in time order. A counter (a name ending in `_total`) is scored on
 * its per-second rate between consecutive samples (a reset or a staleness marker restarts it); anything else on its
 * value. A score depends only on the points up to its own: later points never change it.
 *
 * A series is in anomaly from a flagged point until `clearPoints` points pass without one (an anomaly_start and an
 * anomaly_end event). At most `maxSeries` series are followed; a series gone from the history for EVICT_AFTER_MS, or
 * ended by a staleness marker, is forgotten and frees its place.
 */
import { followerOf } from '../history/follower';
import type { FamilyFollower, HistoryReader } from '../history/types';
import { isStaleNaN } from '../history/types';
import type { Labels } from '../store/types';
import { labelKey } from '../store/store';
import { AppPicker } from './app-picks';
import { AnomalyDetector } from './detector';
import type { EventSink } from './events';

/** A series absent from the history this long is forgotten. */
export const EVICT_AFTER_MS = 300_000;

export interface AnomalyOptions {
  families: readonly string[];
  maxSeries: number;
  clearPoints: number;
  /** Application series picked automatically besides `families` (./app-picks.ts); 0: none. */
  appTopK: number;
}

export interface SeriesScore {
  readonly family: string;
  /** Labels without __name__. */
  readonly labels: Labels;
  readonly score: number;
  readonly anomalous: boolean;
}

interface SeriesState {
  readonly family: string;
  /** Picked automatically (it leaves when it is no longer picked). */
  readonly picked: boolean;
  readonly labels: Labels;
  readonly counter: boolean;
  readonly detector: AnomalyDetector;
  lastMs: number;
  prevValue: number;
  prevMs: number;
  score: number;
  anomalous: boolean;
  quiet: number;
}

function withoutName(labels: Labels): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== '__name__') out[k] = v;
  return out;
}

export class AnomalyTracker {
  readonly #o: AnomalyOptions;
  readonly #events: EventSink | undefined;
  readonly #states = new Map<string, SeriesState>();
  /** The history hands out the same labels object for a series each time: its key is computed once. */
  readonly #keys = new WeakMap<Labels, string>();
  readonly #followers = new Map<string, { history: HistoryReader; follower: FamilyFollower }>();
  readonly #configured: ReadonlySet<string>;
  readonly #picker: AppPicker | undefined;
  #lastRoundMs: number | undefined;
  #refused = 0;

  constructor(options: AnomalyOptions, events?: EventSink) {
    this.#o = options;
    this.#events = events;
    this.#configured = new Set(options.families);
    this.#picker = options.appTopK > 0 ? new AppPicker(options.appTopK) : undefined;
  }

  /** Series followed now. */
  get size(): number {
    return this.#states.size;
  }

  /** Series of the last round that were not analysed because max_series was reached. */
  get refused(): number {
    return this.#refused;
  }

  /** Reads the points after the previous round up to `tMs` and scores them; returns how many were scored. */
  round(history: HistoryReader, tMs: number): number {
    const from = this.#lastRoundMs === undefined ? tMs : this.#lastRoundMs + 1;
    if (from > tMs) return 0;
    let scored = 0;
    this.#lastRoundMs = tMs;
    this.#refused = 0;
    const picks = this.#picker?.picks(history, tMs, this.#configured) ?? new Map<string, ReadonlySet<string>>();
    for (const family of [...this.#o.families, ...picks.keys()]) {
      const only = picks.get(family);
      this.#follower(history, family).read(from, tMs, (labels, times, values, n) => {
        let key = this.#keys.get(labels);
        if (key === undefined) this.#keys.set(labels, (key = labelKey(labels)));
        if (only && !only.has(key)) return;
        let st = this.#states.get(key);
        if (!st) {
          if (this.#states.size >= this.#o.maxSeries) {
            this.#refused++;
            return;
          }
          const counter = family.endsWith('_total');
          st = {
            family,
            picked: only !== undefined,
            labels: withoutName(labels),
            counter,
            detector: new AnomalyDetector(),
            lastMs: -Infinity,
            prevValue: Number.NaN,
            prevMs: 0,
            score: 0,
            anomalous: false,
            quiet: 0,
          };
          this.#states.set(key, st);
        }
        for (let i = 0; i < n; i++) {
          const t = times[i]!;
          if (t <= st.lastMs) continue;
          st.lastMs = t;
          const v = values[i]!;
          if (isStaleNaN(v)) {
            this.#end(st, t, 'stale');
            this.#states.delete(key);
            break;
          }
          if (this.#point(st, t, v)) scored++;
        }
      });
    }
    for (const [key, st] of this.#states) {
      const unpicked = st.picked && !picks.get(st.family)?.has(key);
      if (unpicked || st.lastMs < tMs - EVICT_AFTER_MS) {
        this.#end(st, tMs, unpicked ? 'unpicked' : 'gone');
        this.#states.delete(key);
      }
    }
    return scored;
  }

  /** One follower per family and history (a reload may hand over a new history). */
  #follower(history: HistoryReader, family: string): FamilyFollower {
    const f = this.#followers.get(family);
    if (f && f.history === history) return f.follower;
    const follower = followerOf(history, family);
    this.#followers.set(family, { history, follower });
    return follower;
  }

  /** Every followed series' latest score. */
  scores(): SeriesScore[] {
    return [...this.#states.values()].map((st) => ({ family: st.family, labels: st.labels, score: st.score, anomalous: st.anomalous }));
  }

  /** Scores one point; false when it gives nothing to score (a counter's first point or reset, a non-finite value). */
  #point(st: SeriesState, t: number, v: number): boolean {
    let x = v;
    if (st.counter) {
      const prev = st.prevValue;
      const dt = (t - st.prevMs) / 1000;
      st.prevValue = v;
      st.prevMs = t;
      if (!Number.isFinite(prev) || v < prev || !(dt > 0)) return false;
      x = (v - prev) / dt;
    }
    if (!Number.isFinite(x)) return false;
    const r = st.detector.update(t, x);
    st.score = r.score;
    if (r.flag) {
      st.quiet = 0;
      if (!st.anomalous) {
        st.anomalous = true;
        this.#events?.push({ timeMs: t, kind: 'anomaly_start', family: st.family, labels: st.labels, detail: { score: r.score, value: x } });
      }
    } else if (st.anomalous && ++st.quiet >= this.#o.clearPoints) {
      this.#end(st, t, 'cleared');
    }
    return true;
  }

  #end(st: SeriesState, t: number, reason: string): void {
    if (!st.anomalous) return;
    st.anomalous = false;
    this.#events?.push({ timeMs: t, kind: 'anomaly_end', family: st.family, labels: st.labels, detail: { reason } });
  }
}
