/**
 * The StatsD component: binds the listeners through the chosen engine, and once per flush interval drains the
 * engine's aggregates into the series table and the store, updates its own telemetry, and reads the kernel's drop
 * counters for its UDP sockets. `flush()` is public so tests and shutdown do not wait for the timer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Component } from '../../core/component';
import type { AgentContext } from '../../core/context';
import { RateLimiter } from '../../core/log';
import type { Drained } from './aggregate';
import type { BoundListener, StatsdEngine } from './engine';
import { dropsFor, parseProcNetUdp } from './kernel-drops';
import type { SeriesTable } from './series';
import { requestFlush } from '../../core/flush-request';

export interface StatsdComponentOptions {
  ctx: AgentContext;
  engine: StatsdEngine;
  table: SeriesTable;
  flushIntervalMs: number;
  /** Why this engine was chosen (logged and shown in /healthz). */
  engineReason: string;
}

interface Metrics {
  packets: Counter;
  bytes: Counter;
  lines: Counter;
  invalid: Counter;
  skipped: Counter;
  tooLarge: Counter;
  events: Counter;
  checks: Counter;
  overflow: Counter;
  dropped: Counter;
  kernelDrops: Counter;
  series: Gauge;
  flushSeconds: Histogram;
}

export class StatsdComponent implements Component {
  readonly name = 'statsd';
  readonly #o: StatsdComponentOptions;
  readonly #m: Metrics;
  readonly #limiter = new RateLimiter(60_000, 1);
  #timer: NodeJS.Timeout | undefined;
  #bound: BoundListener[] = [];
  #lastKernelDrops = new Map<string, number>();
  #state: 'new' | 'running' | 'stopped' = 'new';

  constructor(opts: StatsdComponentOptions) {
    this.#o = opts;
    const t = opts.ctx.telemetry;
    this.#m = {
      packets: t.counter('outrider_statsd_packets_total', 'StatsD datagrams received.'),
      bytes: t.counter('outrider_statsd_received_bytes_total', 'StatsD datagram bytes received.'),
      lines: t.counter('outrider_statsd_lines_total', 'StatsD metric lines accepted (a packed line with several values counts once).'),
      invalid: t.counter('outrider_statsd_invalid_lines_total', 'StatsD lines refused, by reason.', ['reason']),
      skipped: t.counter(
        'outrider_statsd_skipped_total',
        'Parts of accepted StatsD lines left out, by reason (empty_value: an empty packed value; empty_tag_value, valueless_tag: a tag that cannot become a label).',
        ['reason'],
      ),
      tooLarge: t.counter('outrider_statsd_packets_too_large_total', 'StatsD datagrams larger than statsd.max_packet_size, dropped whole.'),
      events: t.counter('outrider_statsd_events_total', 'DogStatsD events (_e) received; parsed and counted, not stored.'),
      checks: t.counter('outrider_statsd_service_checks_total', 'DogStatsD service checks (_sc) received, by status.', ['status']),
      overflow: t.counter(
        'outrider_statsd_series_overflow_total',
        'New StatsD series refused by a limit (per_metric: statsd.max_series_per_metric, total: statsd.max_series or statsd.max_memory, memory: the memory limiter was shedding).',
        ['limit'],
      ),
      dropped: t.counter('outrider_statsd_dropped_samples_total', 'StatsD aggregates dropped, by reason (type_conflict, mapping, interval_overflow).', ['reason']),
      kernelDrops: t.counter('outrider_statsd_kernel_drops_total', 'Datagrams the kernel dropped for a StatsD UDP listener (receive buffer full), from /proc/net/udp{,6}.', ['listener']),
      series: t.gauge('outrider_statsd_series', 'StatsD series currently held.'),
      flushSeconds: t.histogram('outrider_statsd_flush_duration_seconds', 'Time one StatsD flush took (drain, aggregate, write to the store).', [], [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5]),
    };
  }

  get engine(): StatsdEngine {
    return this.#o.engine;
  }

  /** Listeners as bound (ports resolved). */
  get listeners(): readonly BoundListener[] {
    return this.#bound;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') return;
    this.#state = 'running';
    const { ctx, engine } = this.#o;
    ctx.health.report(this.name, 'starting', { ready: false });
    try {
      this.#bound = await engine.start();
    } catch (err) {
      this.#state = 'stopped';
      ctx.health.report(this.name, 'failed', { ready: false, detail: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    for (const b of this.#bound) {
      ctx.log.info({ listener: b.url, address: b.kind === 'udp' ? `${b.address}:${b.port}` : b.path, receive_buffer_bytes: b.receiveBuffer, engine: engine.kind }, 'StatsD listener is ready.');
    }
    ctx.log.info({ engine: engine.kind, reason: this.#o.engineReason, flush_interval_ms: this.#o.flushIntervalMs }, 'StatsD receive path chosen.');
    this.#readKernelDrops(true);
    this.#timer = setInterval(() => this.flush(), this.#o.flushIntervalMs);
    this.#timer.unref();
    ctx.health.report(this.name, 'running', {
      ready: true,
      detail: `listening on ${this.#bound.map((b) => (b.kind === 'udp' ? `udp ${b.family === 6 ? `[${b.address}]` : b.address}:${b.port}` : `unix ${b.path}`)).join(', ')} (${engine.kind} path)`,
      info: { engine: engine.kind, engine_reason: this.#o.engineReason, listeners: this.#bound.map((b) => ({ url: b.url, port: b.port, receive_buffer_bytes: b.receiveBuffer })) },
    });
  }

  /** Drains the engine and writes the interval into the store. */
  flush(nowMs = Date.now()): void {
    if (this.#state !== 'running') return;
    const end = this.#m.flushSeconds.startTimer();
    const drained = this.#o.engine.drain();
    this.#account(drained);
    const store = this.#o.ctx.store;
    // New series count against StatsD's own series budget (store.budget.statsd).
    const res = store.withSource('statsd', () => this.#o.table.apply(drained.entries, nowMs, store));
    for (const [reason, n] of Object.entries(res.dropped)) {
      if (n === 0) continue;
      if (reason === 'per_metric' || reason === 'total' || reason === 'memory') this.#m.overflow.inc({ limit: reason }, n);
      else this.#m.dropped.inc({ reason }, n);
    }
    store.withSource('statsd', () => this.#o.table.write(store, nowMs));
    this.#m.series.set(res.series);
    this.#readKernelDrops(false);
    end();
    // The interval is in the store: the reporter takes it now instead of up to report.interval later (crash window).
    requestFlush(this.#o.ctx.store);
  }

  #account(d: Drained): void {
    const s = d.stats;
    const m = this.#m;
    if (s.packets) m.packets.inc(s.packets);
    if (s.bytes) m.bytes.inc(s.bytes);
    if (s.lines) m.lines.inc(s.lines);
    if (s.tooLarge) m.tooLarge.inc(s.tooLarge);
    if (s.events) m.events.inc(s.events);
    if (s.overflow) m.dropped.inc({ reason: 'interval_overflow' }, s.overflow);
    s.serviceChecks.forEach((n, status) => n && m.checks.inc({ status: ['ok', 'warning', 'critical', 'unknown'][status]! }, n));
    for (const [reason, n] of Object.entries(s.invalid)) m.invalid.inc({ reason }, n);
    for (const [reason, n] of Object.entries(s.skipped)) m.skipped.inc({ reason }, n);
    const log = this.#o.ctx.log;
    if (s.samples.length && log.isLevelEnabled('debug') && this.#limiter.allow('invalid')) {
      log.debug({ samples: s.samples, invalid: s.invalid }, 'StatsD lines were refused (sample of this interval).');
    }
    if (s.tooLarge && this.#limiter.allow('too_large')) {
      log.warn({ packets: s.tooLarge }, 'StatsD datagrams larger than statsd.max_packet_size were dropped; raise the limit or make the client send smaller packets.');
    }
  }

  /** Warns (rate-limited) about a refused series, naming the metric. */
  overflowed(limit: 'per_metric' | 'total' | 'memory', metric: string): void {
    if (limit === 'memory') {
      if (this.#limiter.allow('overflow:memory')) this.#o.ctx.log.warn({ metric }, 'A new StatsD series was dropped: the memory limiter is shedding.');
      return;
    }
    if (this.#limiter.allow('overflow:' + limit + metric)) {
      this.#o.ctx.log.warn(
        { metric, limit: limit === 'per_metric' ? 'statsd.max_series_per_metric' : 'statsd.max_series / statsd.max_memory' },
        'A StatsD series was dropped: the cardinality limit is reached.',
      );
    }
  }

  #readKernelDrops(baseline: boolean): void {
    const udp = this.#bound.filter((b) => b.kind === 'udp');
    if (udp.length === 0) return;
    const procfs = this.#o.ctx.paths.procfs;
    const rows = { 4: [] as ReturnType<typeof parseProcNetUdp>, 6: [] as ReturnType<typeof parseProcNetUdp> };
    try {
      if (udp.some((b) => b.family === 4)) rows[4] = parseProcNetUdp(readFileSync(join(procfs, 'net/udp'), 'utf8'));
      if (udp.some((b) => b.family === 6)) rows[6] = parseProcNetUdp(readFileSync(join(procfs, 'net/udp6'), 'utf8'));
    } catch {
      return;
    }
    for (const b of udp) {
      const n = dropsFor(rows[b.family], b.address, b.port, b.family);
      const prev = this.#lastKernelDrops.get(b.url);
      this.#lastKernelDrops.set(b.url, n);
      if (baseline) {
        this.#m.kernelDrops.inc({ listener: b.url }, 0);
        continue;
      }
      if (prev !== undefined && n > prev) {
        this.#m.kernelDrops.inc({ listener: b.url }, n - prev);
        if (this.#limiter.allow('kernel:' + b.url)) {
          this.#o.ctx.log.warn({ listener: b.url, dropped: n - prev }, 'The kernel dropped StatsD datagrams (receive buffer full); raise statsd.receive_buffer or net.core.rmem_max.');
        }
      }
    }
  }

  async stop(): Promise<void> {
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return;
    }
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.flush();
    this.#state = 'stopped';
    await this.#o.engine.stop();
    this.#o.ctx.health.report(this.name, 'stopped', { ready: false });
  }
}
