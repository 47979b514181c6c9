/**
 * One live frame per second from the store: every panel computed on the store's current values, the change-feed
 * panels, and the tables (firing alerts, scrape targets, cardinality by source). Built only while a page is open.
 *
 * A frame is `{ t, panels: { id: { column: value|null } }, tables? }`; `tables` is present only when it changed.
 */
import type { Store } from '../store/store';
import type { Labels } from '../store/types';
import { SourceTracker, type SourceOf } from './feed';
import { computeRound, panelNames, Point, Rates, Round } from './panels';

export interface Frame {
  /** Time in ms. */
  t: number;
  panels: Record<string, Record<string, number | null>>;
  tables?: Tables;
}

export interface Tables {
  alerts: Array<{ alertname: string; labels: Labels; since?: number }>;
  targets: Array<{ job: string; instance: string; up: boolean; duration_seconds: number | null }>;
  cardinality: Record<string, { series: number | null; families: Array<[string, number]> }>;
}

/** Rows a table lists at most. */
export const MAX_ROWS = 50;

/** Panels fed by the change feed alone (no history: they start when the page opens). */
export const feedPanels = [
  { id: 'app_updates', title: 'Series updated per second, by source', unit: 'per_second' },
  { id: 'app_top', title: 'Busiest application series (StatsD, OTLP, push, scrape)', unit: 'count' },
  { id: 'cardinality', title: 'Series by source', unit: 'count' },
] as const;

export class Sampler {
  readonly #store: Store;
  readonly #feed: SourceTracker;
  readonly #rates = new Rates();
  readonly #names = panelNames();
  #prefixed: string[] = [];
  #rounds = 0;
  #lastTables = '';

  constructor(store: Store, sourceOf: SourceOf) {
    this.#store = store;
    this.#feed = new SourceTracker(store, sourceOf);
  }

  frame(nowMs: number): Frame {
    // Families under a prefix are found by a walk over the families, every 5 frames (not every frame).
    if (this.#rounds++ % 5 === 0) this.#prefixed = [...this.#store.families()].map((f) => f.name).filter((n) => this.#names.prefixes.some((p) => n.startsWith(p)));
    const panels = computeRound(this.#round(nowMs), this.#rates);
    const feed = this.#feed.step(nowMs);
    panels.app_updates = feed.updates;
    panels.app_top = feed.top;
    panels.cardinality = feed.cardinality;
    const frame: Frame = { t: nowMs, panels };
    const cardinality: Tables['cardinality'] = {};
    for (const [source, families] of Object.entries(feed.topFamilies)) cardinality[source] = { series: feed.cardinality[source] ?? null, families };
    const tables: Tables = { alerts: this.#alerts(), targets: this.#targets(), cardinality };
    const text = JSON.stringify(tables);
    if (text !== this.#lastTables) {
      this.#lastTables = text;
      frame.tables = tables;
    }
    return frame;
  }

  /** Alerts and targets as they are now, and cardinality as of the last frame (the first screen of a page). */
  tables(): Tables {
    const last = this.#lastTables ? (JSON.parse(this.#lastTables) as Tables) : undefined;
    return { alerts: this.#alerts(), targets: this.#targets(), cardinality: last?.cardinality ?? {} };
  }

  #points(name: string): Point[] {
    const fam = this.#store.getFamily(name);
    if (!fam) return [];
    const out: Point[] = [];
    for (const s of fam.series.values()) if (s.dist === undefined) out.push({ labels: s.labels, value: s.value, tMs: s.updatedMs });
    return out;
  }

  #round(tMs: number): Round {
    return {
      tMs,
      get: (name) => this.#points(name),
      prefixed: (prefix) => this.#prefixed.filter((n) => n.startsWith(prefix)).map((n) => [n, this.#points(n)] as const),
    };
  }

  #alerts(): Tables['alerts'] {
    const out: Tables['alerts'] = [];
    const since = this.#store.getFamily('ALERTS_FOR_STATE');
    for (const s of this.#store.getFamily('ALERTS')?.series.values() ?? []) {
      if (s.labels.alertstate !== 'firing' || !(s.value > 0)) continue;
      if (out.length >= MAX_ROWS) break;
      const { alertname = '', alertstate: _state, ...labels } = s.labels;
      let start: number | undefined;
      for (const f of since?.series.values() ?? []) if (f.labels.alertname === alertname && sameLabels(f.labels, labels)) start = f.value;
      out.push({ alertname, labels, ...(start !== undefined ? { since: start } : {}) });
    }
    return out.sort((a, b) => (a.alertname < b.alertname ? -1 : a.alertname > b.alertname ? 1 : 0));
  }

  #targets(): Tables['targets'] {
    const durations = new Map<string, number>();
    for (const s of this.#store.getFamily('scrape_duration_seconds')?.series.values() ?? []) durations.set(s.labelText, s.value);
    const out: Tables['targets'] = [];
    for (const s of this.#store.getFamily('up')?.series.values() ?? []) {
      if (out.length >= MAX_ROWS) break;
      out.push({ job: s.labels.job ?? '', instance: s.labels.instance ?? '', up: s.value === 1, duration_seconds: durations.get(s.labelText) ?? null });
    }
    return out.sort((a, b) => (a.job + a.instance < b.job + b.instance ? -1 : 1));
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  for (const [k, v] of Object.entries(b)) if (a[k] !== v) return false;
  return true;
}
