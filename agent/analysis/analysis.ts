/**
 * The local analysis component: after each sampling round of the local history it scores the round's new points
 * (./anomalies.ts), re-evaluates the time-to-exhaustion forecasts every forecast interval (./forecasts.ts), and
 * writes its outputs into the store as owner `analysis`, so /metrics, the report and the history carry them:
 *  - outrider_anomaly_score and outrider_anomaly (0/1): the top-k series of each family by score, with the series'
 *    labels plus `family` (a series' own `family` label becomes `exported_family`);
 *  - outrider_anomaly_rate: the fraction of analysed series in anomaly, per family and (without `family`) overall;
 *  - outrider_analysis_series / outrider_analysis_series_left_out: series followed, and those max_series left out;
 *  - outrider_forecast_seconds_until_full{resource,...}: each forecast (+Inf when usage is flat or falling);
 *  - outrider_forecast_holt_winters_seconds_until_full{resource,...}: the same on the Holt–Winters smoothed line.
 */
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { Component, Health } from '../core/component';
import type { Telemetry } from '../core/telemetry';
import type { HistoryReader } from '../history/types';
import type { FamilySamples, Labels, Sample } from '../store/types';
import type { EventSink } from './events';
import { AnomalyTracker, type SeriesScore } from './anomalies';
import { type Forecast, ForecastTracker } from './forecasts';
import type { AnalysisOptions } from './options';

/** What the component writes into; the Store satisfies it. */
export interface AnalysisSink {
  replaceOwned(owner: string, families: readonly FamilySamples[]): void;
  dropOwner(owner: string): void;
}

export interface AnalysisDeps {
  history: HistoryReader;
  store: AnalysisSink;
  options: AnalysisOptions;
  events?: EventSink;
  health?: Health;
  log?: Logger;
  telemetry?: Telemetry;
}

export const OWNER = 'analysis';

function outputLabels(family: string, labels: Labels): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[k === 'family' ? 'exported_family' : k] = v;
  out['family'] = family;
  return out;
}

export class Analysis implements Component {
  readonly name = 'analysis';
  readonly #d: AnalysisDeps;
  readonly #anomalies: AnomalyTracker;
  readonly #forecasts: ForecastTracker;
  #forecast: Forecast[] = [];
  #last: FamilySamples[] | undefined;
  #nextForecastMs = -Infinity;
  #nextAnomalyMs = -Infinity;
  #unsubscribe: (() => void) | undefined;
  #rounds = 0;
  readonly #points: Counter | undefined;
  readonly #refused: Counter | undefined;
  readonly #failed: Counter | undefined;

  constructor(deps: AnalysisDeps) {
    this.#d = deps;
    const o = deps.options;
    this.#anomalies = new AnomalyTracker({ families: o.families, maxSeries: o.maxSeries, clearPoints: o.clearPoints, appTopK: o.appTopK }, deps.events);
    this.#forecasts = new ForecastTracker(
      {
        windowMs: o.forecastWindowMs,
        horizonMs: o.forecastHorizonMs,
        clearFactor: o.forecastClearFactor,
        spoolMaxBytes: o.spoolMaxBytes,
        smoothing: { sf: o.forecastSmoothingFactor, tf: o.forecastTrendFactor },
      },
      deps.events,
    );
    this.#points = deps.telemetry?.counter('outrider_analysis_points_total', 'Points of the local history the anomaly detector scored.');
    this.#refused = deps.telemetry?.counter('outrider_analysis_refused_series_total', 'Series-rounds of the analysed families left out because analysis.max_series was reached.');
    this.#failed = deps.telemetry?.counter('outrider_analysis_failed_rounds_total', 'Sampling rounds the analysis skipped after an error.');
  }

  /** Rounds analysed so far. */
  get rounds(): number {
    return this.#rounds;
  }

  async start(): Promise<void> {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#d.history.subscribe((tMs) => this.round(tMs));
    this.#d.health?.report(this.name, 'running', { ready: true, detail: `${this.#d.options.families.length} families` });
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#d.store.dropOwner(OWNER);
    this.#d.health?.report(this.name, 'stopped', { ready: true });
  }

  /** Analyses the sampling round at `tMs` (called by the history; public for tests and the bench). */
  round(tMs: number): void {
    try {
      // Not inside `?.inc(...)`: an optional call skips evaluating its argument.
      let ran = false;
      if (tMs >= this.#nextAnomalyMs) {
        ran = true;
        // Every point since the last run is scored in time order: a longer interval delays a flag, never changes it.
        const scored = this.#anomalies.round(this.#d.history, tMs);
        this.#points?.inc(scored);
        this.#refused?.inc(this.#anomalies.refused);
        this.#nextAnomalyMs = tMs + this.#d.options.intervalMs;
      }
      if (tMs >= this.#nextForecastMs) {
        ran = true;
        this.#forecast = this.#forecasts.evaluate(this.#d.history, tMs);
        this.#nextForecastMs = tMs + this.#d.options.forecastIntervalMs;
      }
      this.#rounds++;
      // Between runs nothing the outputs are made of has changed: the last ones are written again (bounded by top_k,
      // so cheap), which keeps them from expiring in the store however long the intervals are.
      if (ran || !this.#last) this.#last = this.#outputs();
      this.#d.store.replaceOwned(OWNER, this.#last);
    } catch (err) {
      this.#failed?.inc();
      // A bug here must not stop the history's other subscribers; it is logged and the round is skipped.
      this.#d.log?.error({ err: err instanceof Error ? err.message : String(err) }, 'The analysis failed on a round.');
      this.#d.health?.report(this.name, 'degraded', { detail: 'a round failed; see the log' });
    }
  }

  #outputs(): FamilySamples[] {
    const byFamily = new Map<string, SeriesScore[]>();
    for (const f of this.#d.options.families) byFamily.set(f, []);
    for (const s of this.#anomalies.scores()) {
      let list = byFamily.get(s.family);
      if (!list) byFamily.set(s.family, (list = []));
      list.push(s);
    }
    const score: Sample[] = [];
    const flag: Sample[] = [];
    const rate: Sample[] = [];
    const count: Sample[] = [];
    let total = 0;
    let anomalous = 0;
    for (const [family, list] of byFamily) {
      if (list.length === 0) continue;
      list.sort((a, b) => b.score - a.score);
      for (const s of list.slice(0, this.#d.options.topK)) {
        const labels = outputLabels(family, s.labels);
        score.push({ labels, value: s.score });
        flag.push({ labels, value: s.anomalous ? 1 : 0 });
      }
      const n = list.filter((s) => s.anomalous).length;
      total += list.length;
      anomalous += n;
      rate.push({ labels: { family }, value: n / list.length });
      count.push({ labels: { family }, value: list.length });
    }
    if (total > 0) rate.push({ labels: {}, value: anomalous / total });
    const forecast: Sample[] = [];
    const smoothed: Sample[] = [];
    for (const f of this.#forecast) {
      const labels: Record<string, string> = { ...f.labels };
      if ('resource' in labels) labels['exported_resource'] = labels['resource']!;
      labels['resource'] = f.resource;
      forecast.push({ labels, value: f.seconds });
      if (f.smoothedSeconds !== undefined) smoothed.push({ labels, value: f.smoothedSeconds });
    }
    return [
      { name: 'outrider_anomaly_score', help: 'Anomaly score in [0, 1] of the latest point of an analysed series (the top-k of each family).', type: 'gauge', samples: score },
      { name: 'outrider_anomaly', help: 'Whether an analysed series is in anomaly (1) or not (0) (the top-k of each family by score).', type: 'gauge', samples: flag },
      { name: 'outrider_anomaly_rate', help: 'Fraction of analysed series in anomaly, per family and (without family) overall.', type: 'gauge', samples: rate },
      { name: 'outrider_analysis_series', help: 'Series the anomaly detector follows, per family.', type: 'gauge', samples: count },
      {
        name: 'outrider_analysis_series_left_out',
        help: 'Series of the analysed families left out at the last round because analysis.max_series was reached.',
        type: 'gauge',
        samples: [{ labels: {}, value: this.#anomalies.refused }],
      },
      {
        name: 'outrider_forecast_seconds_until_full',
        help: 'Seconds until the resource reaches its limit on the least-squares line of the forecast window (predict_linear); +Inf when never.',
        type: 'gauge',
        samples: forecast,
      },
      {
        name: 'outrider_forecast_holt_winters_seconds_until_full',
        help: 'Seconds until the resource reaches its limit on the Holt-Winters smoothed level and trend of the forecast window (holt_winters); +Inf when never.',
        type: 'gauge',
        samples: smoothed,
      },
    ];
  }
}
