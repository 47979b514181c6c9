/** A store shaped like a busy host for the reporting benches: node_exporter-like counters and gauges, app counters. */
import { Store } from '../agent/store/store';

export function fixtureStore(series = 2000): Store {
  const s = new Store({ maxSeries: 10_000_000 });
  let n = 0;
  const modes = ['idle', 'user', 'system', 'iowait', 'irq', 'softirq', 'steal', 'nice'];
  for (let cpu = 0; n < series * 0.2; cpu++) for (const mode of modes) {
    s.set({ name: 'node_cpu_seconds_total', help: 'Seconds the CPUs spent in each mode.', type: 'counter' }, { cpu: String(cpu), mode }, 1000 + cpu);
    n++;
  }
  const handlers = ['/api/v1/users', '/api/v1/orders', '/api/v1/items', '/healthz', '/metrics', '/login', '/logout', '/search'];
  for (let i = 0; n < series * 0.6; i++) {
    s.set({ name: 'http_requests_total', help: 'HTTP requests served.', type: 'counter' }, { handler: handlers[i % 8]!, method: i % 3 ? 'GET' : 'POST', code: String(200 + (i % 5)), pod: `web-${Math.floor(i / 40)}` }, i * 3);
    n++;
  }
  for (let i = 0; n < series; i++) {
    s.set({ name: 'node_filesystem_avail_bytes', help: 'Filesystem space available.', type: 'gauge' }, { device: `/dev/sd${String.fromCharCode(97 + (i % 26))}${i}`, mountpoint: `/mnt/data${i}`, fstype: 'ext4' }, 1e12 - i * 4096);
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
