/** The live page's own metrics, registered with the page's routes at start (./mount.ts) and used by the page. */
import type { Counter, Gauge } from 'prom-client';
import type { Telemetry } from '../core/telemetry';

export interface LiveMetrics {
  streams: Counter<'result'> | undefined;
  clients: Gauge | undefined;
}

export function liveMetrics(t: Telemetry | undefined): LiveMetrics {
  return {
    streams: t?.counter('outrider_live_streams_total', 'Live page event streams, by result (connected, refused at live.max_clients, slow: dropped for falling behind).', ['result']) as
      Counter<'result'> | undefined,
    clients: t?.gauge('outrider_live_clients', 'Live pages open (event streams).'),
  };
}
