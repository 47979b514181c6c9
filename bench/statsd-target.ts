/**
 * Child process for bench/statsd-ingest.ts: one Outrider StatsD component (native or TS path) with its own store,
 * listening on the port it is given. Over IPC it answers {lines, drops} after a flush ("count"), and exits on "stop".
 *
 *   node dist/bench/statsd-target.js ENGINE PORT RECEIVE_BUFFER_BYTES [RECEIVER_THREADS]
 */
import { Config } from '../agent/config/config';
import { Health } from '../agent/core/component';
import { silentLogger } from '../agent/core/log';
import { Telemetry } from '../agent/core/telemetry';
import { buildStatsd } from '../agent/collectors/statsd/index';
import { Store } from '../agent/store/store';
import { agentKeys } from '../agent/keys';

async function main(): Promise<void> {
  const [engine, port, rcvbuf, threads] = process.argv.slice(2);
  const config = Config.defaults(agentKeys).with({
    'statsd.listen': [`udp://127.0.0.1:${port}`],
    'statsd.engine': engine,
    'statsd.receive_buffer': Number(rcvbuf),
    'statsd.receiver_threads': Number(threads ?? 1),
  });
  const store = new Store({ maxSeries: 1_000_000 });
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const ctx = { config, store, log: silentLogger(), health: new Health(), telemetry, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } };
  const comp = buildStatsd(ctx);
  await comp.start();
  const metric = async (name: string): Promise<number> => {
    const m = (await telemetry.registry.getSingleMetric(name)?.get()) as { values: Array<{ value: number }> } | undefined;
    return (m?.values ?? []).reduce((a, v) => a + v.value, 0);
  };
  process.on('message', (msg: string) => {
    if (msg === 'count') {
      comp.flush();
      (globalThis as { gc?: () => void }).gc?.();
      void Promise.all([metric('outrider_statsd_lines_total'), metric('outrider_statsd_kernel_drops_total')]).then(([lines, drops]) =>
        process.send!({ lines, drops, series: store.seriesCount, mem: process.memoryUsage(), receiveBuffer: comp.listeners[0]?.receiveBuffer ?? 0 }),
      );
    } else if (msg === 'stop') {
      void comp.stop().then(() => process.exit(0));
    }
  });
  process.send!({ ready: true, receiveBuffer: comp.listeners[0]?.receiveBuffer ?? 0 });
}

void main();
