/**
 * The history's component: owns the sampling timer (one round every step, unref'd) and the history's telemetry.
 * The history itself outlives the component (the composition root keeps it across a reload when its settings did
 * not change), so a reload stops one sampler and starts another on the same data.
 */
import type { Component, Health } from '../core/component';
import type { Telemetry } from '../core/telemetry';
import type { HistoryDropReason, LocalHistory, StoreView } from './history';

export interface SamplerOptions {
  history: LocalHistory;
  store: StoreView;
  health: Health;
  telemetry: Telemetry;
  now?: () => number;
}

export class HistorySampler implements Component {
  readonly name = 'history';
  readonly history: LocalHistory;
  readonly #opts: SamplerOptions;
  #timer: NodeJS.Timeout | undefined;
  /** The history's counts as last added to the telemetry counters (the history keeps running totals). */
  readonly #counted: Record<string, number> = {};

  constructor(opts: SamplerOptions) {
    this.#opts = opts;
    this.history = opts.history;
    const t = opts.telemetry;
    t.gauge('outrider_history_series', 'Series held in the local history.');
    t.gauge('outrider_history_bytes', 'Memory held by the local history (chunks, round times and a per-series estimate), in bytes.');
    t.counter('outrider_history_samples_total', 'Samples the local history appended (staleness markers included).');
    t.counter('outrider_history_dropped_series_total', 'Series the local history refused, by the bound that refused them (max_series, max_bytes).', ['reason']);
    t.counter('outrider_history_evicted_chunks_total', 'Chunks of samples dropped before their retention ran out, to stay under history.max_bytes.');
    t.counter('outrider_history_skipped_rounds_total', 'Sampling rounds skipped because the clock was not after the previous round.');
    for (const reason of Object.keys(opts.history.dropped)) t.counter('outrider_history_dropped_series_total', '', ['reason']).inc({ reason }, 0);
    for (const [k, v] of this.#counts()) this.#counted[k] = v;
  }

  async start(): Promise<void> {
    if (this.#timer) return;
    const now = this.#opts.now ?? Date.now;
    this.#timer = setInterval(() => this.sampleOnce(now()), this.history.stepMs);
    this.#timer.unref();
    this.#publish();
    this.#opts.health.report('history', 'running', { ready: true, detail: `every ${this.history.stepMs} ms for ${this.history.retentionMs} ms` });
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#opts.health.report('history', 'stopped', { ready: true });
  }

  /** One sampling round at `tMs` (the timer's tick; tests call it directly). */
  sampleOnce(tMs: number): void {
    this.history.sample(this.#opts.store, tMs);
    this.#publish();
  }

  #publish(): void {
    const t = this.#opts.telemetry;
    t.gauge('outrider_history_series', '').set(this.history.seriesCount);
    t.gauge('outrider_history_bytes', '').set(this.history.bytes);
    for (const [k, v] of this.#counts()) {
      const d = v - (this.#counted[k] ?? 0);
      this.#counted[k] = v;
      if (d <= 0) continue;
      const [name, reason] = k.split('|') as [string, string | undefined];
      if (reason) t.counter(name, '', ['reason']).inc({ reason }, d);
      else t.counter(name, '').inc(d);
    }
  }

  #counts(): [string, number][] {
    const h = this.history;
    return [
      ['outrider_history_samples_total', h.samples],
      ['outrider_history_evicted_chunks_total', h.evictedChunks],
      ['outrider_history_skipped_rounds_total', h.skippedRounds],
      ...(Object.keys(h.dropped) as HistoryDropReason[]).map((r): [string, number] => [`outrider_history_dropped_series_total|${r}`, h.dropped[r]]),
    ];
  }
}
