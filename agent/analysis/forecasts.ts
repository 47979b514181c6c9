/**
 * Time-to-exhaustion forecasts over the local history, with the semantics of PromQL's `predict_linear`: a least-
 * squares line through the samples of [t − window, t], and the seconds from t until it reaches the limit
 * (./predict-linear.ts), +∞ when it never does. Each resource is a usage series and a limit:
 *  - filesystem space: node_filesystem_avail_bytes down to 0 (resource="space");
 *  - filesystem inodes: node_filesystem_files_free down to 0 (resource="inodes");
 *  - cgroup memory: container_memory_working_set_bytes up to container_spec_memory_limit_bytes of the same labels
 *    (resource="memory"; a cgroup without a limit has none);
 *  - conntrack: node_nf_conntrack_entries up to node_nf_conntrack_entries_limit (resource="conntrack");
 *  - the report spool: outrider_report_spool_bytes (the agent's own gauge) up to spool.max_size (resource="spool";
 *    none while the spool is in memory only).
 * Next to each, the Holt–Winters forecast over the same samples (./forecast-hw.ts), with the same bounds and staleness
 * handling; it is exposed only, and crossing events stay driven by the linear forecast.
 * A forecast that falls below the horizon records a forecast_crossing event; it records forecast_clear only once it
 * rises to the horizon × clearFactor, so a forecast wavering around the horizon does not flap.
 */
import type { HistoryReader, SeriesSamples } from '../history/types';
import { isStaleNaN } from '../history/types';
import type { Labels } from '../store/types';
import { labelKey } from '../store/store';
import type { EventSink } from './events';
import type { Sample } from './predict-linear';
import { secondsUntil } from './predict-linear';
import { defaultSmoothing, smoothedSecondsUntil } from './forecast-hw';
import type { SmoothingFactors } from './holt-winters';

export interface Resource {
  readonly resource: string;
  readonly usage: string;
  /** A constant limit, or the family holding it (matched on the usage series' labels). */
  readonly limit: number | string;
}

export const resources: readonly Resource[] = [
  { resource: 'space', usage: 'node_filesystem_avail_bytes', limit: 0 },
  { resource: 'inodes', usage: 'node_filesystem_files_free', limit: 0 },
  { resource: 'memory', usage: 'container_memory_working_set_bytes', limit: 'container_spec_memory_limit_bytes' },
  { resource: 'conntrack', usage: 'node_nf_conntrack_entries', limit: 'node_nf_conntrack_entries_limit' },
];

/** Most forecasts one evaluation produces (each resource's series beyond are skipped). */
export const MAX_FORECASTS = 1000;

/** A cgroup limit at or above this is "no limit" (the kernel's unlimited is close to 2^63). */
const UNLIMITED = 2 ** 60;

export interface Forecast {
  readonly resource: string;
  readonly family: string;
  /** The usage series' labels, without __name__. */
  readonly labels: Labels;
  readonly seconds: number;
  /** The Holt–Winters forecast of the same samples (undefined when it has none). */
  readonly smoothedSeconds?: number | undefined;
}

export interface ForecastOptions {
  windowMs: number;
  horizonMs: number;
  /** A crossing ends when the forecast reaches horizon × clearFactor (≥ 1). */
  clearFactor: number;
  /** The spool's cap in bytes (0: no spool forecast). */
  spoolMaxBytes: number;
  /** Factors of the Holt–Winters forecast (default: defaultSmoothing). */
  smoothing?: SmoothingFactors;
}

/** The spool's resource, for a spool of `maxBytes`. */
export function spoolResource(maxBytes: number): Resource {
  return { resource: 'spool', usage: 'outrider_report_spool_bytes', limit: maxBytes };
}

function samplesOf(s: SeriesSamples): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i]!;
    if (isStaleNaN(v))
      out.length = 0; // a series that went away and came back: only the run since counts
    else out.push({ timestampMs: s.timestampsMs[i]!, value: v });
  }
  return out;
}

function withoutName(labels: Labels): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== '__name__') out[k] = v;
  return out;
}

export class ForecastTracker {
  readonly #o: ForecastOptions;
  readonly #events: EventSink | undefined;
  readonly #resources: readonly Resource[];
  /** Forecasts in a crossing (below the horizon, not yet back to its clear level), by resource and labels. */
  #below = new Map<string, Forecast>();

  constructor(options: ForecastOptions, events?: EventSink) {
    this.#o = options;
    this.#events = events;
    this.#resources = options.spoolMaxBytes > 0 ? [...resources, spoolResource(options.spoolMaxBytes)] : resources;
  }

  evaluate(history: HistoryReader, tMs: number): Forecast[] {
    const out: Forecast[] = [];
    const start = tMs - this.#o.windowMs;
    for (const r of this.#resources) {
      const limits = new Map<string, number>();
      if (typeof r.limit === 'string') {
        for (const s of history.select([{ name: '__name__', type: '=', value: r.limit }], start, tMs)) {
          const last = s.values[s.values.length - 1]!;
          if (Number.isFinite(last) && last > 0 && last < UNLIMITED) limits.set(labelKey(withoutName(s.labels)), last);
        }
        if (limits.size === 0) continue;
      }
      for (const s of history.select([{ name: '__name__', type: '=', value: r.usage }], start, tMs)) {
        if (out.length >= MAX_FORECASTS) break;
        const labels = withoutName(s.labels);
        const limit = typeof r.limit === 'number' ? r.limit : limits.get(labelKey(labels));
        if (limit === undefined) continue;
        const samples = samplesOf(s);
        // A series whose last sample is a staleness marker has gone.
        if (samples.length === 0 || samples[samples.length - 1]!.timestampMs !== s.timestampsMs[s.timestampsMs.length - 1]) continue;
        const seconds = secondsUntil(samples, tMs, limit);
        if (seconds === undefined || Number.isNaN(seconds)) continue;
        const hw = smoothedSecondsUntil(samples, tMs, limit, this.#o.smoothing ?? defaultSmoothing);
        out.push({ resource: r.resource, family: r.usage, labels, seconds, smoothedSeconds: hw === undefined || Number.isNaN(hw) ? undefined : hw });
      }
    }
    this.#crossings(out, tMs);
    return out;
  }

  #crossings(forecasts: readonly Forecast[], tMs: number): void {
    const below = new Map<string, Forecast>();
    const horizon = this.#o.horizonMs / 1000;
    const clear = horizon * Math.max(1, this.#o.clearFactor);
    for (const f of forecasts) {
      const key = f.resource + labelKey(f.labels);
      const was = this.#below.has(key);
      if (f.seconds < horizon || (was && f.seconds < clear)) {
        below.set(key, f);
        if (!was) this.#push('forecast_crossing', f, tMs);
      } else if (was) {
        this.#push('forecast_clear', f, tMs);
      }
    }
    this.#below = below;
  }

  #push(kind: 'forecast_crossing' | 'forecast_clear', f: Forecast, tMs: number): void {
    this.#events?.push({ timeMs: tMs, kind, family: f.family, labels: f.labels, detail: { resource: f.resource, seconds_until_full: f.seconds } });
  }
}
