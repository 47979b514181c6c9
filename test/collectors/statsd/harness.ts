/** A StatsD component on an ephemeral loopback port with its own store, for the shared suite. */
import dgram from 'node:dgram';
import { Config } from '../../../agent/config/config';
import { Health } from '../../../agent/core/component';
import { silentLogger } from '../../../agent/core/log';
import { Telemetry } from '../../../agent/core/telemetry';
import { buildStatsd, StatsdComponent } from '../../../agent/collectors/statsd/index';
import { Store } from '../../../agent/store/store';
import type { Series } from '../../../agent/store/store';
import type { Labels } from '../../../agent/store/types';
import { labelKey } from '../../../agent/store/store';
import { agentKeys } from '../../../agent/keys';

export interface Harness {
  comp: StatsdComponent;
  store: Store;
  telemetry: Telemetry;
  port: number;
  /** Sends raw datagrams and waits until the engine processed them. */
  send(...packets: Array<string | Buffer>): Promise<void>;
  /** Waits until the engine processed `n` more packets than at the last wait. */
  settle(n: number): Promise<void>;
  flush(): void;
  series(name: string, labels?: Labels): Series | undefined;
  value(name: string, labels?: Labels): number | undefined;
  counter(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

export async function startHarness(engine: 'ts' | 'native', overrides: Record<string, unknown> = {}): Promise<Harness> {
  const config = Config.defaults(agentKeys).with({ 'statsd.listen': ['udp://127.0.0.1:0'], 'statsd.engine': engine, 'statsd.flush_interval': 3_600_000, ...overrides });
  const store = new Store();
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const ctx = { config, store, log: silentLogger(), health: new Health(), telemetry, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } };
  const comp = buildStatsd(ctx);
  await comp.start();
  let stopped = false;
  const udp = comp.listeners.find((l) => l.kind === 'udp');
  const port = udp?.port ?? 0;
  const client = dgram.createSocket('udp4');
  let expected = 0;
  const settle = async (n: number): Promise<void> => {
    expected += n;
    const deadline = Date.now() + 10_000;
    while (comp.engine.processedPackets() < expected) {
      if (Date.now() > deadline) throw new Error(`engine processed ${comp.engine.processedPackets()} of ${expected} packets`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  return {
    comp,
    store,
    telemetry,
    port,
    async send(...packets) {
      for (const p of packets) await new Promise<void>((res, rej) => client.send(typeof p === 'string' ? Buffer.from(p) : p, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
      await settle(packets.length);
    },
    settle,
    flush: () => comp.flush(),
    series(name, labels = {}) {
      return store.getFamily(name)?.series.get(labelKey(labels));
    },
    value(name, labels = {}) {
      return store.getFamily(name)?.series.get(labelKey(labels))?.value;
    },
    async counter(name, labels = {}) {
      const m = (await telemetry.registry.getSingleMetric(name)?.get()) as { values: Array<{ value: number; labels: Record<string, string> }> } | undefined;
      const v = m?.values.find((x) => Object.entries(labels).every(([k, lv]) => x.labels[k] === lv));
      return v?.value ?? 0;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      client.close();
      await comp.stop();
    },
  };
}
