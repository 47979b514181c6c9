/**
 * The live page's charts as data: each panel names the metrics it reads and turns one round of their values (and
 * the round before, for rates) into a few named numbers. The same functions run on the store's current values every
 * second and on the local history's rounds when a page loads, so a chart's history and its live tail agree.
 */
import type { Labels } from '../store/types';

/** One series' value in a round. */
export interface Point {
  readonly labels: Labels;
  readonly value: number;
  /** When the value was written (the store's update time); the round's time when absent. */
  readonly tMs?: number;
}

/** The values of one round: `get(name)` for a metric name, `prefixed(p)` for every metric whose name starts so. */
export interface Round {
  readonly tMs: number;
  get(name: string): readonly Point[];
  prefixed(prefix: string): ReadonlyArray<readonly [string, readonly Point[]]>;
}

export type Unit = 'percent' | 'bytes' | 'bytes_per_second' | 'cores' | 'count' | 'per_second' | 'seconds' | 'score';

/** Counter rates between consecutive rounds, per series; forgets series not seen for a while (bounded). */
export class Rates {
  readonly #prev = new Map<string, { t: number; v: number; round: number; last: number | undefined }>();
  readonly #max: number;
  readonly #keepRounds: number;
  #round = 0;

  /** At most `maxSeries` series are followed; one not seen for `keepRounds` rounds is forgotten. */
  constructor(maxSeries = 50_000, keepRounds = 3) {
    this.#max = maxSeries;
    this.#keepRounds = keepRounds;
  }

  /** Starts a round. */
  begin(): void {
    this.#round++;
    if (this.#round % 16 === 0) for (const [k, e] of this.#prev) if (this.#round - e.round > this.#keepRounds) this.#prev.delete(k);
  }

  /** Per-second rate of a counter since the previous round (undefined on the first sight or after a reset). */
  rate(key: string, tMs: number, v: number): number | undefined {
    const p = this.#prev.get(key);
    if (p === undefined && this.#prev.size >= this.#max) return undefined;
    // Not written again since the last round (a collector slower than the page): the last rate still holds.
    if (p !== undefined && tMs === p.t && v === p.v) {
      p.round = this.#round;
      return p.last;
    }
    const x = p === undefined || tMs <= p.t || v < p.v || !Number.isFinite(v) ? undefined : ((v - p.v) * 1000) / (tMs - p.t);
    this.#prev.set(key, { t: tMs, v, round: this.#round, last: x });
    return x;
  }

  /** The sum of the rates of every series of `name` passing `keep`; undefined when no series had a rate yet. */
  sum(r: Round, name: string, keep?: (l: Labels) => boolean): number | undefined {
    let total: number | undefined;
    for (const p of r.get(name)) {
      if (keep && !keep(p.labels)) continue;
      const x = this.rate(name + labelKey(p.labels), p.tMs ?? r.tMs, p.value);
      if (x !== undefined) total = (total ?? 0) + x;
    }
    return total;
  }
}

export function labelKey(l: Labels): string {
  return JSON.stringify(
    Object.keys(l)
      .sort()
      .map((k) => [k, l[k]]),
  );
}

export interface PanelDef {
  readonly id: string;
  readonly title: string;
  readonly unit: Unit;
  /** Metric names read (exact), and name prefixes read (every matching family). */
  readonly names: readonly string[];
  readonly prefixes?: readonly string[];
  /** Whether the local history can fill it (panels fed by the change feed alone start when the page opens). */
  readonly live?: boolean;
  compute(r: Round, rates: Rates): Record<string, number | undefined>;
}

/** Most columns a panel with open-ended series (anomalies, forecasts, alerts) charts. */
export const MAX_COLUMNS = 8;

function sumOf(points: readonly Point[], keep?: (l: Labels) => boolean): number | undefined {
  let total: number | undefined;
  for (const p of points) if ((!keep || keep(p.labels)) && Number.isFinite(p.value)) total = (total ?? 0) + p.value;
  return total;
}

function maxOf(points: readonly Point[]): number | undefined {
  let max: number | undefined;
  for (const p of points) if (Number.isFinite(p.value) && (max === undefined || p.value > max)) max = p.value;
  return max;
}

function scaled(x: number | undefined, k: number): number | undefined {
  return x === undefined ? undefined : x * k;
}

const cpuGroups: Record<string, string> = { user: 'user', nice: 'user', system: 'system', irq: 'system', softirq: 'system', iowait: 'iowait', steal: 'steal' };

/** Series of open-ended families (anomalies, forecasts, alerts), one column per series up to MAX_COLUMNS. */
function columns(fams: ReadonlyArray<readonly [string, readonly Point[]]>, strip: string): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  let n = 0;
  for (const [name, points] of fams) {
    for (const p of points) {
      if (n >= MAX_COLUMNS) return out;
      const lv = Object.entries(p.labels)
        .filter(([k]) => k !== '__name__')
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      out[name.slice(strip.length) + (lv ? `{${lv}}` : '')] = p.value;
      n++;
    }
  }
  return out;
}

export const panels: readonly PanelDef[] = [
  {
    id: 'cpu',
    title: 'CPU (% of all CPUs)',
    unit: 'percent',
    names: ['node_cpu_seconds_total'],
    compute(r, rates) {
      const points = r.get('node_cpu_seconds_total');
      const cpus = new Set(points.map((p) => p.labels.cpu)).size || 1;
      const out: Record<string, number | undefined> = { user: undefined, system: undefined, iowait: undefined, steal: undefined };
      for (const p of points) {
        const x = rates.rate('node_cpu_seconds_total' + labelKey(p.labels), p.tMs ?? r.tMs, p.value);
        const g = cpuGroups[p.labels.mode ?? ''];
        if (x === undefined || g === undefined) continue;
        out[g] = (out[g] ?? 0) + (x * 100) / cpus;
      }
      return out;
    },
  },
  {
    id: 'memory',
    title: 'Memory',
    unit: 'bytes',
    names: ['node_memory_MemTotal_bytes', 'node_memory_MemAvailable_bytes', 'node_memory_Cached_bytes'],
    compute(r) {
      const total = sumOf(r.get('node_memory_MemTotal_bytes'));
      const avail = sumOf(r.get('node_memory_MemAvailable_bytes'));
      return { used: total !== undefined && avail !== undefined ? total - avail : undefined, cached: sumOf(r.get('node_memory_Cached_bytes')), total };
    },
  },
  {
    id: 'disk',
    title: 'Disk I/O',
    unit: 'bytes_per_second',
    names: ['node_disk_read_bytes_total', 'node_disk_written_bytes_total'],
    compute: (r, rates) => ({ read: rates.sum(r, 'node_disk_read_bytes_total'), written: rates.sum(r, 'node_disk_written_bytes_total') }),
  },
  {
    id: 'network',
    title: 'Network (all devices but lo)',
    unit: 'bytes_per_second',
    names: ['node_network_receive_bytes_total', 'node_network_transmit_bytes_total'],
    compute(r, rates) {
      const notLo = (l: Labels) => l.device !== 'lo';
      return { received: rates.sum(r, 'node_network_receive_bytes_total', notLo), sent: rates.sum(r, 'node_network_transmit_bytes_total', notLo) };
    },
  },
  {
    id: 'pressure',
    title: 'Pressure (% of time some tasks waited)',
    unit: 'percent',
    names: ['node_pressure_cpu_waiting_seconds_total', 'node_pressure_memory_waiting_seconds_total', 'node_pressure_io_waiting_seconds_total'],
    compute: (r, rates) => ({
      cpu: scaled(rates.sum(r, 'node_pressure_cpu_waiting_seconds_total'), 100),
      memory: scaled(rates.sum(r, 'node_pressure_memory_waiting_seconds_total'), 100),
      io: scaled(rates.sum(r, 'node_pressure_io_waiting_seconds_total'), 100),
    }),
  },
  {
    id: 'pod_cpu',
    title: 'Pod CPU against its limit (cgroup)',
    unit: 'cores',
    names: ['container_cpu_usage_seconds_total', 'container_spec_cpu_quota', 'container_spec_cpu_period'],
    compute(r, rates) {
      const quota = sumOf(r.get('container_spec_cpu_quota'));
      const period = sumOf(r.get('container_spec_cpu_period'));
      return { used: rates.sum(r, 'container_cpu_usage_seconds_total'), limit: quota !== undefined && period ? quota / period : undefined };
    },
  },
  {
    id: 'pod_memory',
    title: 'Pod memory against its limit (cgroup)',
    unit: 'bytes',
    names: ['container_memory_working_set_bytes', 'container_spec_memory_limit_bytes'],
    compute: (r) => ({ working_set: sumOf(r.get('container_memory_working_set_bytes')), limit: sumOf(r.get('container_spec_memory_limit_bytes')) }),
  },
  {
    id: 'alerts',
    title: 'Firing alerts',
    unit: 'count',
    names: ['ALERTS'],
    compute(r) {
      const out: Record<string, number | undefined> = { firing: 0 };
      for (const p of r.get('ALERTS')) {
        if (p.labels.alertstate !== 'firing' || !(p.value > 0)) continue;
        out.firing = (out.firing ?? 0) + 1;
        const name = p.labels.alertname ?? '';
        if (name in out || Object.keys(out).length <= MAX_COLUMNS) out[name] = (out[name] ?? 0) + 1;
      }
      return out;
    },
  },
  { id: 'anomalies', title: 'Anomalies', unit: 'score', names: [], prefixes: ['outrider_anomaly_'], compute: (r) => columns(r.prefixed('outrider_anomaly_'), 'outrider_anomaly_') },
  { id: 'forecasts', title: 'Forecasts', unit: 'seconds', names: [], prefixes: ['outrider_forecast_'], compute: (r) => columns(r.prefixed('outrider_forecast_'), 'outrider_forecast_') },
  {
    id: 'lag',
    title: 'Delivery lag (age of the oldest batch not yet acknowledged)',
    unit: 'seconds',
    names: ['outrider_report_lag_seconds'],
    compute: (r) => ({ aggregator: maxOf(r.get('outrider_report_lag_seconds')) }),
  },
  {
    id: 'delivery',
    title: 'Delivery backlog',
    unit: 'count',
    names: ['outrider_report_backlog_batches', 'outrider_remote_write_backlog_requests', 'outrider_report_breaker_open'],
    compute: (r) => ({
      report_batches: sumOf(r.get('outrider_report_backlog_batches')) ?? 0,
      remote_write_requests: sumOf(r.get('outrider_remote_write_backlog_requests')) ?? 0,
      breakers_open: sumOf(r.get('outrider_report_breaker_open')) ?? 0,
    }),
  },
  {
    id: 'drops',
    title: 'Drops',
    unit: 'per_second',
    names: [
      'outrider_store_dropped_writes_total',
      'outrider_report_dropped_batches_total',
      'outrider_remote_write_dropped_requests_total',
      'outrider_statsd_dropped_samples_total',
      'outrider_statsd_kernel_drops_total',
      'outrider_otlp_rejected_data_points_total',
      'outrider_scrape_limit_breaches_total',
    ],
    compute: (r, rates) => ({
      store_writes: rates.sum(r, 'outrider_store_dropped_writes_total') ?? 0,
      report_batches: (rates.sum(r, 'outrider_report_dropped_batches_total') ?? 0) + (rates.sum(r, 'outrider_remote_write_dropped_requests_total') ?? 0),
      statsd: (rates.sum(r, 'outrider_statsd_dropped_samples_total') ?? 0) + (rates.sum(r, 'outrider_statsd_kernel_drops_total') ?? 0),
      otlp: rates.sum(r, 'outrider_otlp_rejected_data_points_total') ?? 0,
      scrape_limits: rates.sum(r, 'outrider_scrape_limit_breaches_total') ?? 0,
    }),
  },
  {
    id: 'scrape',
    title: 'Scrape targets',
    unit: 'count',
    names: ['up'],
    compute(r) {
      let up = 0;
      let down = 0;
      for (const p of r.get('up'))
        if (p.value === 1) up++;
        else down++;
      return { up, down };
    },
  },
];

/** Every exact metric name the panels read, and every prefix. */
export function panelNames(): { names: string[]; prefixes: string[] } {
  return { names: [...new Set(panels.flatMap((p) => p.names))], prefixes: [...new Set(panels.flatMap((p) => p.prefixes ?? []))] };
}

/** One round through every panel: panel id → column → value (undefined columns kept, so a chart knows its series). */
export function computeRound(r: Round, rates: Rates): Record<string, Record<string, number | null>> {
  rates.begin();
  const out: Record<string, Record<string, number | null>> = {};
  for (const p of panels) {
    const vals = p.compute(r, rates);
    const o: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(vals)) o[k] = v === undefined || !Number.isFinite(v) ? null : round4(v);
    out[p.id] = o;
  }
  return out;
}

/** Four significant digits: what a chart can show, and a smaller frame. */
function round4(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(4));
}
