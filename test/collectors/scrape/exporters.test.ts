/**
 * Scrapes real exporters started on loopback: prometheus-node-exporter and VictoriaMetrics' own /metrics (Debian
 * packages `prometheus-node-exporter` and `victoria-metrics`). A test is skipped, with the reason, when its binary is
 * not installed.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import t, { Test } from 'tap';
import type { Store } from '../../../agent/store/store';
import { scraper, valueOf } from './helpers';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitUp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

function exporterTest(name: string, bin: string, args: (port: number, dir: string) => string[], check: (t: Test, store: Store, labels: Record<string, string>) => void): void {
  t.test(name, { skip: existsSync(bin) ? false : `${bin} is not installed (apt-get install the package to run this test)` }, async (t) => {
    const port = await freePort();
    const dir = mkdtempSync('/tmp/outrider-exporter-');
    const child = spawn(bin, args(port, dir), { stdio: 'ignore' });
    t.teardown(async () => {
      const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    });
    const url = `http://127.0.0.1:${port}/metrics`;
    await waitUp(url, child);
    const { scraper: s, store } = scraper([{ url, job: name }]);
    t.teardown(() => s.stop());
    await s.scrapeAll();
    const st = s.targets()[0]!;
    t.equal(st.health, 'up', st.lastError);
    const labels = { job: name, instance: `127.0.0.1:${port}` };
    t.equal(valueOf(store, 'up', labels), 1);
    t.ok((valueOf(store, 'scrape_samples_scraped', labels) as number) > 50);
    check(t, store, labels);
  });
}

exporterTest(
  'node-exporter',
  '/usr/bin/prometheus-node-exporter',
  (port) => [`--web.listen-address=127.0.0.1:${port}`],
  (t, store, labels) => {
    t.equal(store.getFamily('node_cpu_seconds_total')?.type, 'counter');
    t.equal(store.getFamily('go_gc_duration_seconds')?.type, 'summary');
    const build = [...(store.getFamily('node_exporter_build_info')?.series.values() ?? [])];
    t.equal(build.length, 1);
    t.equal(build[0]?.value, 1);
    t.equal(build[0]?.labels.job, labels.job);
  },
);

exporterTest(
  'victoria-metrics',
  '/usr/bin/victoria-metrics',
  (port, dir) => [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-retentionPeriod=1d'],
  (t, store) => {
    t.ok(store.getFamily('vm_app_version'), 'vm_app_version scraped');
    const cpu = [...(store.getFamily('process_cpu_seconds_total')?.series.values() ?? [])][0];
    t.ok(cpu && cpu.value >= 0, 'process_cpu_seconds_total scraped');
    const v = [...(store.getFamily('vm_app_version')?.series.values() ?? [])][0];
    t.equal(v?.value, 1);
  },
);
