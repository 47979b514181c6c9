/**
 * Footprint of the injected sidecar: the agent started with exactly the arguments `outrider inject` gives it (the
 * sidecar profile and the spool sizes of the default 256Mi volume), except that it listens on loopback ports, with
 * `NODE_OPTIONS=--max-semi-space-size=2` as the image sets. It is scraped every 15 s (a Prometheus default) and
 * sampled from /proc/<pid>/{status,stat} every 500 ms over `--seconds` after a 3 s settle.
 * Two cases: serving only, and reporting to an aggregator that refuses connections (the reporter retries and
 * spools, its busiest idle state). The figures set the injected requests and limits (docs/deploy.md).
 *
 *   node dist/bench/sidecar-footprint.js [--seconds=30] [--interval=1s] [--node=/path/to/node]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuTicks, freePort, statusField, waitUp } from './proc-sample';
import { Config } from '../agent/config/config';
import { optionsFromConfig } from '../agent/deploy/inject/options';
import { sidecarArgs } from '../agent/deploy/inject/sidecar';
import { quantityBytes, spoolBudget } from '../agent/deploy/inject/spool-budget';
import { agentKeys } from '../agent/keys';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const seconds = Number(args.seconds ?? 30);
const interval = args.interval ?? '1s';
const node = args.node ?? process.execPath;
const hz = 100; // USER_HZ on Linux

async function measure(name: string, reportTo: string): Promise<string> {
  const opts = { ...optionsFromConfig(Config.defaults(agentKeys)), reportTo };
  const injected = sidecarArgs(opts, spoolBudget(quantityBytes(opts.spoolSizeLimit)!));
  const port = await freePort();
  const spool = mkdtempSync(join(tmpdir(), 'outrider-footprint-'));
  const argv = injected
    .map((a) => (a.startsWith('--listen=') ? `--listen=127.0.0.1:${port}` : a.startsWith('--statsd.listen=') ? '--statsd.listen=udp://127.0.0.1:0' : a))
    .concat([`--spool.dir=${spool}`, `--collectors.interval=${interval}`, '--log-level=warn']);
  const child = spawn(node, [join(__dirname, '..', '..', 'bin', 'outrider.js'), ...argv], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '--max-semi-space-size=2' } });
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    await waitUp(url, 150);
    await new Promise((r) => setTimeout(r, 3000));
    const pid = child.pid!;
    const t0 = Date.now();
    const c0 = cpuTicks(pid);
    const rss: number[] = [];
    let nextScrape = 0;
    while (Date.now() - t0 < seconds * 1000) {
      if (Date.now() - t0 >= nextScrape) {
        await (await fetch(url)).arrayBuffer();
        nextScrape += 15_000;
      }
      rss.push(statusField(pid, 'VmRSS'));
      await new Promise((r) => setTimeout(r, 500));
    }
    const wall = (Date.now() - t0) / 1000;
    const cpuMilli = ((cpuTicks(pid) - c0) / hz / wall) * 1000;
    const sorted = [...rss].sort((a, b) => a - b);
    const med = sorted[Math.floor(sorted.length / 2)]! / 1024;
    const hwm = statusField(pid, 'VmHWM') / 1024;
    return `| ${name} | ${med.toFixed(1)} | ${hwm.toFixed(1)} | ${cpuMilli.toFixed(1)} |`;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => (child.kill('SIGKILL'), r(undefined)), 5000);
      child.on('exit', () => (clearTimeout(t), r(undefined)));
    });
    rmSync(spool, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const version =
    (await new Promise<string>((resolve) => {
      const c = spawn(node, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('exit', () => resolve(out.trim()));
    })) || node;
  const closed = await freePort();
  const rows = [await measure('serving only', ''), await measure('reporting, aggregator down', `http://127.0.0.1:${closed}`)];
  console.log(`node ${version}, ${seconds} s window, collection every ${interval}, scraped every 15 s`);
  console.log('| case | RSS median MiB | RSS peak (VmHWM) MiB | CPU millicores |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(r);
}

void main();
