/**
 * Idle footprint: RSS and CPU of a running Outrider agent next to prometheus-node-exporter (Debian), measured the
 * same way in the same run: both started on loopback ports, scraped every `--scrape` seconds (as a Prometheus
 * would), and sampled from /proc/<pid>/{status,stat} over `--seconds`.
 *
 * Outrider collects on its own interval (1 s by default) and serves cached bytes; node_exporter collects on every
 * scrape. `--interval` sets the agent's collection interval so both can do the same work.
 *
 *   node dist/bench/idle.js [--seconds=30] [--scrape=5] [--interval=1s]
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cpuTicks, freePort, statusField, waitUp } from './proc-sample';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const seconds = Number(args.seconds ?? 30);
const scrapeEvery = Number(args.scrape ?? 5);
const interval = args.interval ?? '1s';
const hz = 100; // USER_HZ on Linux

const rssKiB = (pid: number): number => statusField(pid, 'VmRSS');

interface Subject {
  name: string;
  child: ChildProcess;
  url: string;
}

async function main(): Promise<void> {
  const have = spawnSync('prometheus-node-exporter', ['--version'], { stdio: 'ignore' });
  const subjects: Subject[] = [];
  const pa = await freePort();
  subjects.push({
    name: 'outrider agent',
    child: spawn(
      process.execPath,
      [join(__dirname, '..', '..', 'bin', 'outrider.js'), 'agent', `--listen=127.0.0.1:${pa}`, '--statsd.listen=udp://127.0.0.1:0', '--log-level=warn', `--collectors.interval=${interval}`],
      { stdio: 'ignore' },
    ),
    url: `http://127.0.0.1:${pa}/metrics`,
  });
  if (have.error === undefined) {
    const pn = await freePort();
    subjects.push({
      name: 'prometheus-node-exporter',
      child: spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${pn}`], { stdio: 'ignore' }),
      url: `http://127.0.0.1:${pn}/metrics`,
    });
  } else {
    console.log('prometheus-node-exporter not installed (apt-get install prometheus-node-exporter); measuring Outrider alone');
  }
  try {
    for (const s of subjects) await waitUp(s.url);
    await new Promise((r) => setTimeout(r, 3000)); // settle after start-up
    const start = subjects.map((s) => cpuTicks(s.child.pid!));
    const rss: number[][] = subjects.map(() => []);
    const bytes: number[] = subjects.map(() => 0);
    const t0 = Date.now();
    let nextScrape = 0;
    while (Date.now() - t0 < seconds * 1000) {
      if (Date.now() - t0 >= nextScrape) {
        for (const [i, s] of subjects.entries()) bytes[i] = (await (await fetch(s.url)).arrayBuffer()).byteLength;
        nextScrape += scrapeEvery * 1000;
      }
      subjects.forEach((s, i) => rss[i]!.push(rssKiB(s.child.pid!)));
      await new Promise((r) => setTimeout(r, 500));
    }
    const wall = (Date.now() - t0) / 1000;
    console.log(`window ${wall.toFixed(0)} s, scraped every ${scrapeEvery} s, agent collection interval ${interval}, node ${process.version}`);
    console.log('| process | RSS median MiB | RSS max MiB | CPU % of one core | body bytes |');
    console.log('|---|---:|---:|---:|---:|');
    const rows = subjects.map((s, i) => {
      const sorted = [...rss[i]!].sort((a, b) => a - b);
      const cpu = ((cpuTicks(s.child.pid!) - start[i]!) / hz / wall) * 100;
      return { name: s.name, med: sorted[Math.floor(sorted.length / 2)]! / 1024, max: sorted[sorted.length - 1]! / 1024, cpu, bytes: bytes[i]! };
    });
    for (const r of rows) console.log(`| ${r.name} | ${r.med.toFixed(1)} | ${r.max.toFixed(1)} | ${r.cpu.toFixed(2)} | ${r.bytes} |`);
    if (rows.length === 2) console.log(`ratio outrider/node_exporter: RSS ${(rows[0]!.med / rows[1]!.med).toFixed(2)}x, CPU ${(rows[0]!.cpu / rows[1]!.cpu).toFixed(2)}x`);
  } finally {
    for (const s of subjects) s.child.kill('SIGTERM');
  }
}

void main();
