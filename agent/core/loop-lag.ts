/**
 * The event loop's lag read from the lateness of the process's own repeating timers (the collection rounds, the
 * store's sweep, the history's steps), instead of from Node's loop-delay histogram (`monitorEventLoopDelay`), whose
 * timer wakes an otherwise idle process at its resolution: at 100 ms those ten wakeups a second were ~10 % of an idle
 * agent's CPU (bench/README.md, Footprint, "Idle CPU: the loop-delay probe's wake-ups").
 *
 * A timer is late by how long after its due time its callback ran: a stall of the loop delays every timer due during
 * it. A stall longer than the shortest period (the sweep's: the collection interval within 1-5 s) is always seen; a shorter one when a timer
 * falls due in it. The series are prom-client's (`nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`,
 * with its help), over the timers that ran since the last gathering. They are the lateness itself: Node's histogram
 * recorded the time between two of its ticks, so its figures carried its own resolution (0.100… s at 100 ms).
 * `nodejs_eventloop_lag_seconds` stays prom-client's: a setImmediate's delay, taken when the metrics are gathered.
 */
import { performance } from 'node:perf_hooks';
import { Gauge, type Registry } from './prom-client';

/** Samples kept for the percentiles between two gatherings (the last ones, when more came). */
const CAPACITY = 1024;

export interface LatenessStats {
  /** Seconds. */
  min: number;
  max: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
  count: number;
}

/** Lateness samples since the last `take()`: min, max, mean and stddev over all of them, percentiles over the last 1024. */
export class TimerLateness {
  readonly #ring = new Float64Array(CAPACITY);
  #count = 0;
  #min = Infinity;
  #max = -Infinity;
  #sum = 0;
  #sumSq = 0;

  /** One timer ran `lateMs` after it was due (a negative value, the clock's rounding, counts as 0; NaN is ignored). */
  record(lateMs: number): void {
    if (Number.isNaN(lateMs)) return;
    const s = lateMs > 0 ? lateMs / 1000 : 0;
    this.#ring[this.#count % CAPACITY] = s;
    this.#count++;
    if (s < this.#min) this.#min = s;
    if (s > this.#max) this.#max = s;
    this.#sum += s;
    this.#sumSq += s * s;
  }

  /** The statistics of the samples since the last take, and a fresh start; undefined when there were none. */
  take(): LatenessStats | undefined {
    const n = this.#count;
    if (n === 0) return undefined;
    const kept = this.#ring.slice(0, Math.min(n, CAPACITY)).sort();
    const at = (p: number): number => kept[Math.max(0, Math.ceil((p / 100) * kept.length) - 1)]!;
    const mean = this.#sum / n;
    const stats: LatenessStats = {
      min: this.#min,
      max: this.#max,
      mean,
      stddev: Math.sqrt(Math.max(0, this.#sumSq / n - mean * mean)),
      p50: at(50),
      p90: at(90),
      p99: at(99),
      count: n,
    };
    this.#count = this.#sum = this.#sumSq = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
    return stats;
  }
}

/**
 * One repeating timer's lateness: each tick is due one period after the previous tick ran, as Node re-arms a
 * `setInterval` and as the collection runner re-arms its `setTimeout` at the start of a round.
 */
export class TickLateness {
  readonly periodMs: number;
  readonly #sink: TimerLateness | undefined;
  #lastMs: number | undefined;

  constructor(periodMs: number, sink: TimerLateness | undefined) {
    this.periodMs = periodMs;
    this.#sink = sink;
  }

  /** The timer ran now (`nowMs`: performance.now()'s clock). */
  tick(nowMs = performance.now()): void {
    if (this.#sink === undefined) return;
    if (this.#lastMs !== undefined) this.#sink.record(nowMs - this.#lastMs - this.periodMs);
    this.#lastMs = nowMs;
  }
}

/** The percentile series beside `nodejs_eventloop_lag_seconds`: statistic, prom-client's help. */
const lagSeries: ReadonlyArray<readonly [keyof LatenessStats, string]> = [
  ['min', 'The minimum recorded event loop delay.'],
  ['max', 'The maximum recorded event loop delay.'],
  ['mean', 'The mean of the recorded event loop delays.'],
  ['stddev', 'The standard deviation of the recorded event loop delays.'],
  ['p50', 'The 50th percentile of the recorded event loop delays.'],
  ['p90', 'The 90th percentile of the recorded event loop delays.'],
  ['p99', 'The 99th percentile of the recorded event loop delays.'],
];

/** prom-client's event loop lag series, the percentiles fed by `lateness` (registered where prom-client's file would be). */
export function registerLoopLag(registry: Registry, lateness: TimerLateness): void {
  const registers = [registry];
  const lag: Gauge = new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds.',
    registers,
    // This one metric's collect sets them all, as in prom-client.
    collect() {
      const start = process.hrtime.bigint();
      setImmediate(() => lag.set(Number(process.hrtime.bigint() - start) / 1e9));
      const s = lateness.take();
      if (s === undefined) return; // no timer ran since the last gathering: the values stay
      for (const [stat, gauge] of gauges) gauge.set(s[stat]);
    },
  });
  const gauges = lagSeries.map(([stat, help]) => [stat, new Gauge({ name: `nodejs_eventloop_lag_${stat}_seconds`, help, registers })] as const);
}
