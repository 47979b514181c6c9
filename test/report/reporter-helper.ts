/** An in-process reporter for tests: a store of its own, quiet logs, no timers that fire on their own (1 h). */
import { Config } from '../../agent/config/config';
import { Health } from '../../agent/core/component';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { Codec } from '../../agent/wire/frame';
import { Reporter, ReporterOptions } from '../../agent/report/reporter';
import { Store } from '../../agent/store/store';
import { agentKeys } from '../../agent/keys';

export function testReporter(
  url: string,
  base: Partial<ReporterOptions> & Pick<ReporterOptions, 'spool'>,
  over: Partial<ReporterOptions> = {},
  store = new Store(),
  telemetry = new Telemetry({ runtimeMetrics: false }),
) {
  const health = new Health();
  const ctx = { config: Config.defaults(agentKeys), store, log: silentLogger(), health, telemetry, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } };
  const r = new Reporter(ctx, {
    agentId: 'unit',
    endpoints: [url],
    token: undefined,
    intervalMs: 3_600_000,
    fullRefreshMs: 3_600_000,
    maxBatchSamples: 1000,
    maxBatchBytes: 1 << 20,
    maxInFlight: 1,
    timeoutMs: 5000,
    targetLatencyMs: 1000,
    backoffBaseMs: 10,
    backoffMaxMs: 50,
    maxMemoryBytes: 1 << 20,
    codec: Codec.deflate,
    compressionLevel: 1,
    drainMs: 2000,
    ...base,
    ...over,
  });
  return { r, store, health, telemetry };
}
