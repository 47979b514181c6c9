/** StatsD / DogStatsD ingestion: builds the component from config, choosing the native or the TS path once. */
import { envLabels } from '../../core/labels';
import type { Component } from '../../core/component';
import type { AgentContext, Extension } from '../../core/context';
import { OutriderError } from '../../core/errors';
import { RateLimiter } from '../../core/log';
import { StatsdComponent } from './component';
import type { EngineOptions, StatsdEngine } from './engine';
import { ListenSpec, parseListenUrl } from './listen';
import { Mapper, MappingRuleConfig, ObserverType } from './mapping';
import { loadNativeEngine } from './native-engine';
import { SeriesTable } from './series';
import { TsEngine } from './ts-engine';

export { StatsdComponent } from './component';

/** Picks the engine: `statsd.engine` auto → native when the addon has the statsd binding, else TS. */
export function chooseEngine(mode: 'auto' | 'native' | 'ts', opts: EngineOptions): { engine: StatsdEngine; reason: string } {
  if (mode === 'ts') return { engine: new TsEngine(opts), reason: 'statsd.engine is ts' };
  const native = loadNativeEngine(opts);
  if ('engine' in native) return { engine: native.engine, reason: 'native addon loaded' };
  if (mode === 'native') throw new OutriderError('OUTRIDER_ERR_STATSD_NO_NATIVE', `statsd.engine is native but ${native.reason}.`);
  const unix = opts.listen.find((l) => l.kind === 'unix');
  if (unix) {
    throw new OutriderError(
      'OUTRIDER_ERR_STATSD_UNIX_NEEDS_NATIVE',
      `StatsD listener ${unix.url} needs the native addon (Node.js cannot bind Unix datagram sockets), but ${native.reason}.`,
    );
  }
  return { engine: new TsEngine(opts), reason: `pure-TS path: ${native.reason}` };
}

export function buildStatsd(ctx: AgentContext): StatsdComponent {
  const c = ctx.config;
  const listen: ListenSpec[] = c.list('statsd.listen').map((u) => {
    const r = parseListenUrl(u);
    if (typeof r === 'string') throw new OutriderError('OUTRIDER_ERR_CONFIG_INVALID', `statsd.listen: ${r}`);
    return r;
  });
  const maxSeries = c.number('statsd.max_series');
  const opts: EngineOptions = {
    listen,
    receiveBufferBytes: c.number('statsd.receive_buffer'),
    maxPacketBytes: c.number('statsd.max_packet_size'),
    socketMode: parseInt(c.string('statsd.socket_mode'), 8),
    receiverThreads: c.number('statsd.receiver_threads'),
    maxKeysPerInterval: Math.max(2 * maxSeries, 10_000),
  };
  const { engine, reason } = chooseEngine(c.string('statsd.engine') as 'auto' | 'native' | 'ts', opts);
  let comp: StatsdComponent | undefined = undefined;
  const limiter = new RateLimiter(60_000, 1);
  // Pod identity (labels.from_env; empty outside a pod), computed once per start.
  const podLabels = envLabels(c);
  const table = new SeriesTable({
    mapper: new Mapper(c.get<MappingRuleConfig[]>('statsd.mappings')),
    observerType: c.string('statsd.observer_type') as ObserverType,
    quantiles: c.list<number>('statsd.quantiles'),
    summaryWindow: c.number('statsd.summary_window'),
    buckets: c.list<number>('statsd.buckets'),
    maxSeriesPerMetric: c.number('statsd.max_series_per_metric'),
    maxSeries,
    seriesTtlMs: c.number('statsd.series_ttl'),
    ...(Object.keys(podLabels).length > 0 ? { extraLabels: podLabels } : {}),
    onOverflow: (limit, metric) => comp?.overflowed(limit, metric),
    onTypeConflict: (metric, type, existing) => {
      if (limiter.allow(metric)) ctx.log.warn({ metric, type, existing }, 'A StatsD metric arrived with a type other than the one its name already has; dropped.');
    },
  });
  comp = new StatsdComponent({ ctx, engine, table, flushIntervalMs: c.number('statsd.flush_interval'), engineReason: reason });
  return comp;
}

export const statsdExtension: Extension = (ctx): Component[] => (ctx.config.bool('statsd.enabled') ? [buildStatsd(ctx)] : []);
