/** StatsD / DogStatsD ingestion: builds the component from its options (./options.ts), choosing the native or the TS path once. */
import { envLabelsFrom } from '../../core/labels';
import type { Component } from '../../core/component';
import type { AgentContext, Extension } from '../../core/context';
import { OutriderError } from '../../core/errors';
import { RateLimiter } from '../../core/log';
import { StatsdComponent } from './component';
import type { EngineOptions, StatsdEngine } from './engine';
import { Mapper } from './mapping';
import { loadNativeEngine } from './native-engine';
import { optionsFrom, StatsdEngineMode, StatsdOptions } from './options';
import { SeriesTable } from './series';
import { TsEngine } from './ts-engine';

export { StatsdComponent } from './component';

/** Picks the engine: `statsd.engine` auto → native when the addon has the statsd binding, else TS. */
export function chooseEngine(mode: StatsdEngineMode, opts: EngineOptions): { engine: StatsdEngine; reason: string } {
  if (mode === 'ts') return { engine: new TsEngine(opts), reason: 'statsd.engine is ts' };
  const native = loadNativeEngine(opts);
  if ('engine' in native) return { engine: native.engine, reason: 'native addon loaded' };
  if (mode === 'native') throw new OutriderError('OUTRIDER_ERR_STATSD_NO_NATIVE', `statsd.engine is native but ${native.reason}.`);
  const unix = opts.listen.find((l) => l.kind === 'unix');
  if (unix) {
    throw new OutriderError('OUTRIDER_ERR_STATSD_UNIX_NEEDS_NATIVE', `StatsD listener ${unix.url} needs the native addon (Node.js cannot bind Unix datagram sockets), but ${native.reason}.`);
  }
  return { engine: new TsEngine(opts), reason: `pure-TS path: ${native.reason}` };
}

/** Builds the component from parsed options (parsed from `ctx.config` when not given). */
export function buildStatsd(ctx: AgentContext, o: StatsdOptions = optionsFrom(ctx.config)): StatsdComponent {
  const opts: EngineOptions = {
    listen: o.listen,
    receiveBufferBytes: o.receiveBufferBytes,
    maxPacketBytes: o.maxPacketBytes,
    socketMode: o.socketMode,
    receiverThreads: o.receiverThreads,
    maxKeysPerInterval: Math.max(2 * o.maxSeries, 10_000),
  };
  const { engine, reason } = chooseEngine(o.engine, opts);
  let comp: StatsdComponent | undefined = undefined;
  const limiter = new RateLimiter(60_000, 1);
  // Pod identity (labels.from_env; empty outside a pod), computed once per start.
  const podLabels = envLabelsFrom(o.labelsFromEnv);
  const table = new SeriesTable({
    mapper: new Mapper(o.mappings),
    observerType: o.observerType,
    quantiles: o.quantiles,
    summaryWindow: o.summaryWindow,
    buckets: o.buckets,
    maxSeriesPerMetric: o.maxSeriesPerMetric,
    maxSeries: o.maxSeries,
    seriesTtlMs: o.seriesTtlMs,
    ...(Object.keys(podLabels).length > 0 ? { extraLabels: podLabels } : {}),
    onOverflow: (limit, metric) => comp?.overflowed(limit, metric),
    admitNew: () => !ctx.store.shedding,
    onTypeConflict: (metric, type, existing) => {
      if (limiter.allow(metric)) ctx.log.warn({ metric, type, existing }, 'A StatsD metric arrived with a type other than the one its name already has; dropped.');
    },
  });
  comp = new StatsdComponent({ ctx, engine, table, flushIntervalMs: o.flushIntervalMs, engineReason: reason });
  return comp;
}

export const statsdExtension: Extension = (ctx): Component[] => {
  const o = optionsFrom(ctx.config);
  return o.enabled ? [buildStatsd(ctx, o)] : [];
};
