/** A store shaped like a busy host for the reporting benches: node_exporter-like counters and gauges, app counters. */
import { Store } from '../agent/store/store';
import { freePort, start } from '../test/e2e/procs';

export function fixtureStore(series = 2000): Store {
  const s = new Store({ maxSeries: 10_000_000 });
  let n = 0;
  const modes = ['idle', 'user', 'system', 'iowait', 'irq', 'softirq', 'steal', 'nice'];
  for (let cpu = 0; n < series * 0.2; cpu++)
    for (const mode of modes) {
      s.set({ name: 'node_cpu_seconds_total', help: 'Seconds the CPUs spent in each mode.', type: 'counter' }, { cpu: String(cpu), mode }, 1000 + cpu);
      n++;
    }
  const handlers = ['/api/v1/users', '/api/v1/orders', '/api/v1/items', '/healthz', '/metrics', '/login', '/logout', '/search'];
  for (let i = 0; n < series * 0.6; i++) {
    s.set(
      { name: 'http_requests_total', help: 'HTTP requests served.', type: 'counter' },
      { handler: handlers[i % 8]!, method: i % 3 ? 'GET' : 'POST', code: String(200 + (i % 5)), pod: `web-${Math.floor(i / 40)}` },
      i * 3,
    );
    n++;
  }
  for (let i = 0; n < series; i++) {
    s.set(
      { name: 'node_filesystem_avail_bytes', help: 'Filesystem space available.', type: 'gauge' },
      { device: `/dev/sd${String.fromCharCode(97 + (i % 26))}${i}`, mountpoint: `/mnt/data${i}`, fstype: 'ext4' },
      1e12 - i * 4096,
    );
    n++;
  }
  return s;
}

/** One flush worth of change: `fraction` of the series move (counters up, gauges drift). */
export function churn(store: Store, fraction: number, round: number): number {
  let i = 0;
  let changed = 0;
  for (const fam of store.families()) {
    for (const s of fam.series.values()) {
      if ((i++ * 2654435761 + round * 40503) % 1000 < fraction * 1000) {
        const v = fam.type === 'counter' ? s.value + 1 + (i % 7) : s.value - 4096 * (1 + (i % 3));
        store.set(fam, s.labels, v);
        changed++;
      }
    }
  }
  return changed;
}

/**
 * The aggregator a bench sends to: AGG_URL when set (one started by hand, e.g. under `node --cpu-prof`), otherwise a
 * real `outrider aggregator` process on a free loopback port with its state in `stateDir`.
 */
export async function benchAggregator(stateDir: string, extraArgs: string[] = []): Promise<{ url: string; stop(): Promise<unknown> }> {
  const given = process.env.AGG_URL;
  if (given) return { url: given, stop: async () => undefined };
  const port = await freePort();
  const agg = start(['aggregator', '--listen', `127.0.0.1:${port}`, '--state-dir', stateDir, '--aggregator.max-series', '10000000', ...extraArgs]);
  await agg.waitFor(/aggregator is ready/);
  return { url: `http://127.0.0.1:${port}`, stop: () => agg.stop() };
}

/** The aggregator's own CPU seconds (process_cpu_seconds_total, copied into its /metrics once a second). */
export async function aggregatorCpuSeconds(url: string): Promise<number> {
  const text = await (await fetch(url + '/metrics')).text();
  return Number(/^process_cpu_seconds_total (\S+)/m.exec(text)?.[1] ?? NaN);
}

/**
 * The aggregator's CPU seconds once it is idle: read until two reads 1.1 s apart differ by less than 20 ms (at most
 * `maxMs`). Work the aggregator does after answering then lands before or after a measured window, not in it on some
 * runs and out of it on others.
 */
export async function settledAggregatorCpuSeconds(url: string, maxMs = 20_000): Promise<number> {
  const end = Date.now() + maxMs;
  let last = await aggregatorCpuSeconds(url);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1100));
    const now = await aggregatorCpuSeconds(url);
    if (now - last < 0.02 || Date.now() > end) return now;
    last = now;
  }
}
