/**
 * The drift monitor: follows every distribution in the store through its change feed, keeps per series a ring of
 * per-interval slots (value → weight), and every interval compares the last `windowIntervals` slots (current) with
 * the `windowIntervals` before them (reference) by the Kolmogorov–Smirnov statistic and the Wasserstein-1 distance
 * (./distance.ts). The distances are written to the store as `outrider_drift_ks` and
 * `outrider_drift_wasserstein` with the series' labels and `metric` (its family); crossing `ksThreshold` upwards
 * starts a drift event, falling back below it ends it. Followed series are bounded by `maxSeries` (the rest counted).
 */
import type { Logger } from 'pino';
import type { Counter, Gauge } from 'prom-client';
import type { Component } from '../../core/component';
import type { Telemetry } from '../../core/telemetry';
import type { Series } from '../../store/records';
import type { ChangeReader } from '../../store/changes';
import type { Store } from '../../store/store';
import type { FamilySamples, Labels } from '../../store/types';
import { ksDistance, massesFromMap, wassersteinDistance } from './distance';
import type { DriftOptions } from './options';
import { addBucketIncrease, addSketch, isSketch } from './sources';

export const DRIFT_OWNER = 'drift';
const MAX_LISTENERS = 16;

export interface DriftEvent {
  readonly kind: 'drift';
  /** `start` when the KS statistic reached the threshold, `end` when it fell back below it. */
  readonly state: 'start' | 'end';
  readonly metric: string;
  readonly labels: Labels;
  readonly ks: number;
  readonly wasserstein: number;
  readonly timeMs: number;
}

export interface DriftResult {
  readonly metric: string;
  readonly labels: Labels;
  readonly ks: number;
  readonly wasserstein: number;
  readonly currentCount: number;
  readonly referenceCount: number;
}

interface Slot {
  m: Map<number, number>;
  count: number;
}

interface Tracker {
  readonly metric: string;
  readonly labels: Labels;
  lastSketch: unknown;
  seenSketch: boolean;
  prevBuckets: ReadonlyArray<readonly [number, number]> | undefined;
  open: Slot;
  /** Closed slots, oldest first, at most 2 × windowIntervals. */
  ring: Slot[];
  /** Running sums of the ring's newer half (current window) and older half (reference), kept as slots move. */
  current: Slot;
  reference: Slot;
  drifting: boolean;
}

export interface DriftMonitorDeps {
  store: Store;
  telemetry: Telemetry;
  log: Logger;
}

/** The series the monitor follows: histograms and summaries (their values are distributions). */
const isDistribution = (s: Series): boolean => s.family.type === 'histogram' || s.family.type === 'summary';

export class DriftMonitor implements Component {
  readonly name = 'drift';
  readonly #opts: DriftOptions;
  readonly #store: Store;
  readonly #log: Logger;
  readonly #reader: ChangeReader;
  readonly #trackers = new Map<number, Tracker>();
  readonly #listeners = new Set<(e: DriftEvent) => void>();
  readonly #skipped: Counter;
  readonly #events: Counter;
  readonly #followed: Gauge;
  readonly #observations: Counter;
  readonly #evaluations: Counter;
  readonly #listenerErrors: Counter;
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #results: DriftResult[] = [];
  #followedSet = -1;

  constructor(opts: DriftOptions, deps: DriftMonitorDeps) {
    this.#opts = opts;
    this.#store = deps.store;
    this.#log = deps.log;
    // Only distributions come through the feed: a scrape's 100,000 changed gauges are not copied for it each time.
    this.#reader = deps.store.reader(isDistribution);
    this.#skipped = deps.telemetry.counter('outrider_drift_skipped_series_total', 'Distributions the drift monitor did not follow because drift.max_series was reached.');
    this.#events = deps.telemetry.counter('outrider_drift_events_total', 'Drift events, by state (start, end).', ['state']);
    this.#observations = deps.telemetry.counter('outrider_drift_observations_total', 'Observations (bucket increases, sketch counts) the drift monitor read into its windows.');
    this.#evaluations = deps.telemetry.counter('outrider_drift_evaluations_total', 'Distances computed between a current and a reference window.');
    this.#listenerErrors = deps.telemetry.counter('outrider_drift_listener_errors_total', 'Drift event listeners that threw.');
    this.#followed = deps.telemetry.gauge('outrider_drift_series', 'Distributions the drift monitor follows.');
  }

  /** Subscribes to drift events (the events log); returns the unsubscribe function. */
  onEvent(listener: (e: DriftEvent) => void): () => void {
    if (this.#listeners.size >= MAX_LISTENERS) throw new RangeError(`the drift monitor takes at most ${MAX_LISTENERS} listeners`);
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** The distances of the last evaluation. */
  get results(): readonly DriftResult[] {
    return this.#results;
  }

  async start(): Promise<void> {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#store.subscribe(() => this.ingest());
    this.ingest();
    this.#timer = setInterval(() => this.evaluate(), this.#opts.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#store.dropOwner(DRIFT_OWNER);
  }

  /** Reads what changed in the store since the last call into the open slots. */
  ingest(): void {
    const cs = this.#reader.next();
    if (cs.resync) {
      const live = new Set(cs.series.map((s) => s.id));
      for (const id of this.#trackers.keys()) if (!live.has(id)) this.#trackers.delete(id);
    }
    for (const s of cs.removed) this.#trackers.delete(s.id);
    for (const s of cs.series) this.#take(s);
    // Ingest runs after every store change (many times a collection round): the gauge is set only when it moved.
    if (this.#trackers.size !== this.#followedSet) this.#followed.set((this.#followedSet = this.#trackers.size));
  }

  /** Closes every open slot, computes the distances of the series whose windows are full, writes them, fires events. */
  evaluate(nowMs = Date.now()): readonly DriftResult[] {
    this.ingest();
    const w = this.#opts.windowIntervals;
    const results: DriftResult[] = [];
    for (const t of this.#trackers.values()) {
      roll(t, w);
      if (t.ring.length < 2 * w) continue;
      const reference = massesFromMap(t.reference.m);
      const current = massesFromMap(t.current.m);
      if (reference.total < this.#opts.minCount || current.total < this.#opts.minCount) continue;
      const r: DriftResult = {
        metric: t.metric,
        labels: t.labels,
        ks: ksDistance(current, reference),
        wasserstein: wassersteinDistance(current, reference),
        currentCount: current.total,
        referenceCount: reference.total,
      };
      results.push(r);
      this.#evaluations.inc();
      this.#edge(t, r, nowMs);
    }
    this.#results = results;
    this.#write(results, nowMs);
    return results;
  }

  #take(s: Series): void {
    if (s.owner === DRIFT_OWNER || !s.dist) return;
    const d = s.dist;
    const hasSketch = isSketch(d.sketch);
    if (!hasSketch && !d.buckets) return;
    let t = this.#trackers.get(s.id);
    if (!t) {
      if (this.#trackers.size >= this.#opts.maxSeries) {
        this.#skipped.inc();
        return;
      }
      t = {
        metric: s.family.name,
        labels: s.labels,
        lastSketch: undefined,
        seenSketch: false,
        prevBuckets: undefined,
        open: emptySlot(),
        ring: [],
        current: emptySlot(),
        reference: emptySlot(),
        drifting: false,
      };
      this.#trackers.set(s.id, t);
    }
    if (hasSketch) {
      t.seenSketch = true;
      // The same interval's sketch object is written again on a keep-alive: count it once.
      if (d.sketch !== t.lastSketch) {
        t.lastSketch = d.sketch;
        if (isSketch(d.sketch)) this.#observe(t, addSketch(t.open.m, d.sketch));
      }
      return;
    }
    if (t.seenSketch || !d.buckets) return;
    const added = addBucketIncrease(t.open.m, t.prevBuckets, d.buckets);
    if (added > 0) this.#observe(t, added);
    t.prevBuckets = d.buckets.map(([le, c]) => [le, c] as const);
  }

  #observe(t: Tracker, weight: number): void {
    t.open.count += weight;
    this.#observations.inc(weight);
  }

  #edge(t: Tracker, r: DriftResult, nowMs: number): void {
    const threshold = this.#opts.ksThreshold;
    if (!(threshold > 0)) return;
    const now = r.ks >= threshold;
    if (now === t.drifting) return;
    t.drifting = now;
    const e: DriftEvent = { kind: 'drift', state: now ? 'start' : 'end', metric: r.metric, labels: r.labels, ks: r.ks, wasserstein: r.wasserstein, timeMs: nowMs };
    this.#events.inc({ state: e.state });
    this.#log.info(
      { event: 'drift', state: e.state, metric: e.metric, labels: e.labels, ks: e.ks, wasserstein: e.wasserstein },
      now ? 'A distribution drifted from its reference window.' : 'A distribution is back within its drift threshold.',
    );
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch (err) {
        this.#listenerErrors.inc();
        this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'A drift event listener failed.');
      }
    }
  }

  #write(results: readonly DriftResult[], nowMs: number): void {
    const ks: FamilySamples = { name: 'outrider_drift_ks', help: 'Kolmogorov–Smirnov statistic between the current and the reference window of a distribution.', type: 'gauge', samples: [] };
    const w1: FamilySamples = {
      name: 'outrider_drift_wasserstein',
      help: 'Wasserstein-1 distance between the current and the reference window of a distribution, in its unit.',
      type: 'gauge',
      samples: [],
    };
    for (const r of results) {
      const labels = { ...r.labels, metric: r.metric };
      ks.samples.push({ labels, value: r.ks });
      w1.samples.push({ labels, value: r.wasserstein });
    }
    this.#store.replaceOwned(DRIFT_OWNER, [ks, w1], nowMs);
  }
}

function emptySlot(): Slot {
  return { m: new Map(), count: 0 };
}

/**
 * Closes the open slot: it enters the current window, the slot leaving the current window enters the reference, the
 * oldest leaves the reference. Each evaluation costs the buckets of three slots, not of the whole ring.
 */
function roll(t: Tracker, w: number): void {
  const entering = t.open;
  t.open = emptySlot();
  t.ring.push(entering);
  add(t.current, entering, 1);
  if (t.ring.length > w) {
    const moving = t.ring[t.ring.length - 1 - w]!;
    add(t.current, moving, -1);
    add(t.reference, moving, 1);
  }
  if (t.ring.length > 2 * w) add(t.reference, t.ring.shift()!, -1);
}

function add(into: Slot, slot: Slot, sign: 1 | -1): void {
  into.count += sign * slot.count;
  for (const [x, c] of slot.m) {
    const v = (into.m.get(x) ?? 0) + sign * c;
    // Fractional weights (sample rates) leave rounding residue when subtracted: below it, the point is gone.
    if (v > 1e-9) into.m.set(x, v);
    else into.m.delete(x);
  }
}
