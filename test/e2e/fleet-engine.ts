/** Real VictoriaMetrics and Prometheus for the fleet tests, started on free loopback ports with temporary data. */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, freePort } from './procs';

export const have = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

function tmp(t: Teardown): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-fleet-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function kill(t: Teardown, c: ChildProcess): void {
  t.teardown(() => {
    if (c.exitCode === null) c.kill('SIGKILL');
  });
}

/** VictoriaMetrics with deduplication: one sample kept per series and millisecond (the engine setting the fleet needs). */
export async function startVictoria(t: Teardown): Promise<string> {
  const port = await freePort();
  const c = spawn(
    'victoria-metrics',
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${tmp(t)}`, '-dedup.minScrapeInterval=1ms', '-search.latencyOffset=0s', '-search.disableCache', '-retentionPeriod=1'],
    { stdio: 'ignore' },
  );
  kill(t, c);
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(url + '/health').catch(() => undefined))?.ok, 20_000);
  return url;
}

/** Prometheus taking remote write, with an out-of-order window so a replay through another aggregator is accepted. */
export async function startPrometheus(t: Teardown): Promise<string> {
  const port = await freePort();
  const dir = tmp(t);
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\nstorage:\n  tsdb:\n    out_of_order_time_window: 30m\n');
  const c = spawn(
    'prometheus',
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver'],
    { stdio: 'ignore' },
  );
  kill(t, c);
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(url + '/-/ready').catch(() => undefined))?.ok, 30_000);
  return url;
}

export interface Result {
  metric: Record<string, string>;
  value: number;
}

/** An instant query's results (empty while the engine is not up or has nothing). */
export async function query(base: string, q: string): Promise<Result[]> {
  try {
    const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
    const j = (await res.json()) as { data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    return (j.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  } catch {
    return [];
  }
}

/** The single value of a query, or undefined. */
export async function scalar(base: string, q: string): Promise<number | undefined> {
  const r = await query(base, q);
  return r.length === 1 ? r[0]!.value : undefined;
}
