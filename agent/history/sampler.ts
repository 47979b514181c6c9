/**
 * The history's component: owns the sampling timer (one round every step, unref'd) and the history's telemetry.
 * The history itself outlives the component (the composition root keeps it across a reload when its settings did
 * not change), so a reload stops one sampler and starts another on the same data.
 */
import type { Logger } from 'pino';
import type { Component, Health } from '../core/component';
import type { Telemetry, Ticking } from '../core/telemetry';
import type { HistoryDropReason, LocalHistory, StoreView } from './history';
import { readSnapshot, writeSnapshot } from './persist';

export interface SamplerOptions {
  history: LocalHistory;
  store: StoreView;
  health: Health;
  telemetry: Telemetry;
  /** Save the history to `dir` every `intervalMs` and on stop; load it on start when the history is empty. */
  persist?: { dir: string; intervalMs: number };
  log?: Logger;
  now?: () => number;
}

/** Slack over history.max_bytes a state file may have (labels, round times) before it is refused unread. */
const STATE_FILE_SLACK_BYTES = 64 << 20;

export class HistorySampler implements Component {
  readonly name = 'history';
  readonly history: LocalHistory;
  readonly #opts: SamplerOptions;
  #timer: Ticking | undefined;
  #saveTimer: NodeJS.Timeout | undefined;
  #saving: Promise<void> | undefined;
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
    t.counter('outrider_history_state_errors_total', 'Loads (an unusable state file, ignored) and saves of the history state file that failed, by op.', ['op']);
    t.counter('outrider_history_state_saves_total', 'Saves of the local history to history.state_dir.');
    t.gauge('outrider_history_restored_series', 'Series loaded from the history state file at start.');
    for (const reason of Object.keys(opts.history.dropped)) t.counter('outrider_history_dropped_series_total', '', ['reason']).inc({ reason }, 0);
    for (const [k, v] of this.#counts()) this.#counted[k] = v;
  }

  async start(): Promise<void> {
    if (this.#timer) return;
    const now = this.#opts.now ?? Date.now;
    const p = this.#opts.persist;
    if (p) {
      this.load(now());
      this.#saveTimer = setInterval(() => void this.save(), p.intervalMs);
      this.#saveTimer.unref();
    }
    this.#timer = this.#opts.telemetry.interval(this.history.stepMs, () => this.sampleOnce(now()));
    this.#publish();
    this.#opts.health.report('history', 'running', { ready: true, detail: `every ${this.history.stepMs} ms for ${this.history.retentionMs} ms` });
  }

  async stop(): Promise<void> {
    this.#timer?.stop();
    if (this.#saveTimer) clearInterval(this.#saveTimer);
    const running = this.#timer !== undefined;
    this.#timer = this.#saveTimer = undefined;
    if (running && this.#opts.persist) await this.save();
    this.#opts.health.report('history', 'stopped', { ready: true });
  }

  /** Loads the state file into the history when it holds nothing yet; an unusable file is counted and ignored. */
  load(nowMs: number): void {
    const p = this.#opts.persist;
    if (!p || this.history.newestMs() !== undefined) return;
    try {
      const state = readSnapshot(p.dir, this.history.maxBytes + STATE_FILE_SLACK_BYTES);
      if (!state) return;
      const n = this.history.restore(state.snapshot, nowMs);
      this.#opts.telemetry.gauge('outrider_history_restored_series', '').set(n === false ? 0 : n);
      this.#opts.log?.info({ dir: p.dir, series: n, savedAt: new Date(state.savedAtMs).toISOString() }, 'The local history was loaded from its state file.');
    } catch (err) {
      this.#opts.telemetry.counter('outrider_history_state_errors_total', '', ['op']).inc({ op: 'load' });
      this.#opts.log?.warn({ dir: p.dir, err: (err as Error).message }, 'The local history state file was ignored; the history starts empty.');
    }
  }

  /** Saves the history to the state file (one save at a time: a save asked for while one runs waits for it). */
  async save(): Promise<void> {
    const p = this.#opts.persist;
    if (!p) return;
    if (this.#saving) return this.#saving;
    const now = this.#opts.now ?? Date.now;
    this.#saving = writeSnapshot(p.dir, this.history.snapshot(), now())
      .then(() => this.#opts.telemetry.counter('outrider_history_state_saves_total', '').inc())
      .catch((err: Error) => {
        this.#opts.telemetry.counter('outrider_history_state_errors_total', '', ['op']).inc({ op: 'save' });
        this.#opts.log?.warn({ dir: p.dir, err: err.message }, 'The local history could not be saved.');
      })
      .finally(() => (this.#saving = undefined));
    return this.#saving;
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
