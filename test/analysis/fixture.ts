/** A store, a local history over it and the analysis component on it, with its outputs captured each round. */
import { Analysis, type AnalysisSink } from '../../agent/analysis/analysis';
import { EventLog } from '../../agent/analysis/events';
import type { AnalysisOptions } from '../../agent/analysis/options';
import { LocalHistory } from '../../agent/history/history';
import { Store } from '../../agent/store/store';
import type { FamilySamples, Labels } from '../../agent/store/types';

export const baseOptions: AnalysisOptions = {
  enabled: true,
  families: ['test_value', 'test_requests_total'],
  intervalMs: 0,
  maxSeries: 100,
  appTopK: 0,
  topK: 10,
  clearPoints: 30,
  forecastWindowMs: 600_000,
  forecastIntervalMs: 1000,
  forecastHorizonMs: 3_600_000,
  forecastClearFactor: 1.25,
  forecastSmoothingFactor: 0.3,
  forecastTrendFactor: 0.1,
  spoolMaxBytes: 0,
  eventsMax: 100,
};

export class Capture implements AnalysisSink {
  last: readonly FamilySamples[] = [];
  replaceOwned(_owner: string, families: readonly FamilySamples[]): void {
    this.last = families;
  }
  dropOwner(): void {
    this.last = [];
  }
  /** The value of `name` for the series whose labels include all of `labels`. */
  value(name: string, labels: Labels): number | undefined {
    const fam = this.last.find((f) => f.name === name);
    const s = fam?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v) && Object.keys(x.labels).length >= Object.keys(labels).length);
    return s?.value;
  }
  samples(name: string): FamilySamples['samples'] {
    return this.last.find((f) => f.name === name)?.samples ?? [];
  }
}

export interface Rig {
  store: Store;
  history: LocalHistory;
  analysis: Analysis;
  out: Capture;
  events: EventLog;
}

export async function rig(options: Partial<AnalysisOptions> = {}): Promise<Rig> {
  const store = new Store();
  const history = new LocalHistory({ stepMs: 1000, retentionMs: 3_600_000, maxSeries: 10_000, maxBytes: 64 << 20 });
  const out = new Capture();
  const events = new EventLog(100);
  const analysis = new Analysis({ history, store: out, options: { ...baseOptions, ...options }, events });
  await analysis.start();
  return { store, history, analysis, out, events };
}

export const gauge = { name: 'test_value', help: 'h', type: 'gauge' as const };
export const counter = { name: 'test_requests_total', help: 'h', type: 'counter' as const };

/** A smooth deterministic signal with some noise-like wiggle. */
export function normal(i: number): number {
  return 100 + 5 * Math.sin(i / 7) + 2 * Math.sin(i * 1.3);
}
