/**
 * Scrape cost beside vmagent, in the same run: one target process exposes 100k series (text 0.0.4, values changing
 * every scrape); the agent (`outrider agent`, host collectors, StatsD, OTLP and the local history off, remote write
 * to a null sink) and then vmagent (Debian's `victoria-metrics`, remote write to the same sink) scrape it every
 * INTERVAL_MS. After two warm-up scrapes, CPU seconds (utime + stime of the process, /proc/<pid>/stat) over SCRAPES
 * scrapes and the peak RSS (VmHWM) are read for each.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/scrape-vmagent.js      # SERIES=100000 SCRAPES=8 INTERVAL_MS=5000
 *
 * The agent runs with the Node flags it is deployed with (its launcher run as a program; AGENT_NODE_FLAGS overrides);
 * AGENT_BIN runs another build's bin/outrider.js; RSS_TRACE=1 prints the agent's highest VmRSS after each scrape;
 * THREADS=1 prints each process's CPU per scrape split into its main thread and the others by name (Node's: V8's GC
 * helpers, libuv's and the addon's pools).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds } from './proc-sample';

const kSeries = Number(process.env.SERIES ?? 100_000);
const kScrapes = Number(process.env.SCRAPES ?? 8);
const kIntervalMs = Number(process.env.INTERVAL_MS ?? 5000);
/** AGENT_BIN: another build's bin/outrider.js (a copy of the tree before a change), for before/after in one sitting. */
const bin = process.env.AGENT_BIN ?? path.resolve(__dirname, '..', '..', 'bin', 'outrider.js');
/** Node flags of the agent. Unset: the launcher runs as a program, so its launch line picks the flags the agent is
 * deployed with (`node bin/outrider.js` would skip that line). AGENT_NODE_FLAGS='' runs it with Node's defaults. */
const agentFlags = process.env.AGENT_NODE_FLAGS?.split(' ').filter(Boolean);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function statusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** CPU seconds (utime + stime) of the threads of `pid` by name (/proc/<pid>/task/<tid>/stat), the main thread as
 * `main` (Node's other threads all carry the process's name). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** The target in its own process (so its CPU is not the scraper's): 100k gauges whose values change every scrape. */
const targetScript = `
const http = require('node:http');
const n = ${kSeries};
const bodies = [0, 1].map((v) => {
  let s = '';
  for (let f = 0; f < 100; f++) {
    s += '# HELP bench_metric_' + f + ' A benchmark gauge.\\n# TYPE bench_metric_' + f + ' gauge\\n';
    for (let i = f; i < n; i += 100) s += 'bench_metric_' + f + '{id="' + i + '",shard="' + (i % 16) + '"} ' + (i * 1.5 + v) + '\\n';
  }
  return Buffer.from(s);
});
const counts = {};
let k = 0;
http.createServer((req, res) => {
  if (req.url === '/count') return res.end(JSON.stringify(counts));
  const ua = String(req.headers['user-agent'] || '').split('/')[0];
  counts[ua] = (counts[ua] || 0) + 1;
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
  res.end(bodies[k++ % 2]);
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
`;

async function startTarget(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-e', targetScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return { child, url: `http://127.0.0.1:${port}` };
}

/** Scrapes seen from these user agents (vmagent streams large bodies with Go's own HTTP client). */
async function scrapes(target: string, uas: string[]): Promise<number> {
  const j = (await (await fetch(target + '/count')).json()) as Record<string, number>;
  return uas.reduce((n, ua) => n + (j[ua] ?? 0), 0);
}

interface Row {
  name: string;
  cpuPerScrape: number;
  peakMiB: number;
  sinkBytes: number;
}

async function measure(name: string, ua: string[], target: string, child: ChildProcess, sink: { bytes: number }): Promise<Row> {
  const deadline = Date.now() + 120_000;
  // RSS_TRACE=1: the highest VmRSS seen while each scrape (by the target's count) was the latest, sampled every 50 ms.
  const trace = new Map<number, number>();
  let seen = 0;
  const note = () => {
    if (process.env.RSS_TRACE && child.exitCode === null) trace.set(seen, Math.max(trace.get(seen) ?? 0, statusMiB(child.pid!, 'VmRSS')));
  };
  const wait = async (n: number) => {
    while ((seen = await scrapes(target, ua)) < n) {
      note();
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name}: too slow; scrapes by user agent: ${JSON.stringify(await (await fetch(target + '/count')).json())}`);
      }
      await sleep(50);
    }
  };
  await wait(2);
  for (let t = 0; t < kIntervalMs / 2; t += 50, note()) await sleep(50);
  const c0 = await scrapes(target, ua);
  const cpu0 = cpuSeconds(child.pid!);
  const threads0 = process.env.THREADS ? threadCpu(child.pid!) : undefined;
  const b0 = sink.bytes;
  await wait(c0 + kScrapes);
  for (let t = 0; t < kIntervalMs / 2; t += 50, note()) await sleep(50);
  const cpu1 = cpuSeconds(child.pid!);
  if (threads0) {
    const per = [...threadCpu(child.pid!)].map(([k, v]) => [k, ((v - (threads0.get(k) ?? 0)) * 1000) / kScrapes] as const).filter(([, v]) => v > 0);
    console.log(`${name}: CPU ms per scrape by thread: ${per.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
  }
  const row = { name, cpuPerScrape: (cpu1 - cpu0) / kScrapes, peakMiB: statusMiB(child.pid!, 'VmHWM'), sinkBytes: (sink.bytes - b0) / kScrapes };
  if (process.env.RSS_TRACE) console.log(`${name}: peak VmRSS MiB after scrape n: ${[...trace].map(([k, v]) => `${k}:${v.toFixed(0)}`).join(' ')}`);
  // SIGTERM first, so that an agent run with --cpu-prof (AGENT_NODE_FLAGS) writes its profile on the way out.
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(kill);
  return row;
}

async function main(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v vmagent']).status !== 0) throw new Error('vmagent is not installed (apt-get install victoria-metrics)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-bench-scrape-'));
  const sink = { bytes: 0 };
  const sinkServer = createServer((req, res) => {
    req.on('data', (c: Buffer) => (sink.bytes += c.length));
    req.on('end', () => {
      res.statusCode = 204;
      if (String(req.headers['content-type']).includes('v2')) res.setHeader('X-Prometheus-Remote-Write-Samples-Written', '0');
      res.end();
    });
  });
  await new Promise<void>((r) => sinkServer.listen(0, '127.0.0.1', r));
  const sinkUrl = `http://127.0.0.1:${(sinkServer.address() as AddressInfo).port}/api/v1/write`;
  const target = await startTarget();
  const rows: Row[] = [];
  try {
    const cfg = path.join(dir, 'outrider.yml');
    fs.writeFileSync(
      cfg,
      [
        'collectors: { enabled: [] }',
        'statsd: { enabled: false }',
        'otlp: { enabled: false }',
        'history: { enabled: false }',
        'analysis: { enabled: false }',
        // The target's 100k series would fill the scrape source's default budget and leave no room for up/scrape_*.
        'store: { budget: { scrape: 0 } }',
        'scrape:',
        `  targets: [{ url: "${target.url}/metrics", job: bench, interval: ${kIntervalMs}ms, timeout: ${kIntervalMs}ms }]`,
        'report:',
        `  remote_write: ["${sinkUrl}"]`,
        `  remote_write_interval: ${kIntervalMs}ms`,
      ].join('\n'),
    );
    const agentArgs = ['agent', '--config', cfg, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
    const agent = agentFlags
      ? spawn(process.execPath, [...agentFlags, bin, ...agentArgs], { stdio: 'inherit' })
      : spawn(bin, agentArgs, { stdio: 'inherit', env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
    rows.push(await measure('outrider agent', ['outrider-scrape'], target.url, agent, sink));

    const vmcfg = path.join(dir, 'scrape.yml');
    fs.writeFileSync(vmcfg, `scrape_configs:\n  - job_name: bench\n    scrape_interval: ${kIntervalMs}ms\n    static_configs: [{ targets: ["${target.url.slice(7)}"] }]\n`);
    const vmagent = spawn(
      'vmagent',
      [`-promscrape.config=${vmcfg}`, `-remoteWrite.url=${sinkUrl}`, '-httpListenAddr=127.0.0.1:0', `-remoteWrite.tmpDataPath=${path.join(dir, 'vmagent')}`, '-loggerLevel=WARN'],
      { stdio: 'inherit' },
    );
    rows.push(await measure('vmagent', ['vm_promscrape', 'Go-http-client'], target.url, vmagent, sink));
  } finally {
    target.child.kill('SIGKILL');
    sinkServer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const [o, v] = rows as [Row, Row];
  console.log(`${kSeries} series, ${kScrapes} scrapes every ${kIntervalMs} ms, remote write to a null sink; ${os.cpus().length} CPUs, Node ${process.version}`);
  console.log('peer               CPU ms/scrape   CPU ns/sample   peak RSS MiB   remote write KiB/scrape');
  for (const r of rows)
    console.log(
      `${r.name.padEnd(18)} ${(r.cpuPerScrape * 1000).toFixed(0).padStart(13)}   ${((r.cpuPerScrape * 1e9) / kSeries).toFixed(0).padStart(13)}   ${r.peakMiB.toFixed(0).padStart(12)}   ${(r.sinkBytes / 1024).toFixed(0).padStart(23)}`,
    );
  console.log(`ratios (outrider / vmagent): CPU per sample ${(o.cpuPerScrape / v.cpuPerScrape).toFixed(2)}x, peak RSS ${(o.peakMiB / v.peakMiB).toFixed(2)}x`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
