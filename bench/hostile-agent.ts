/**
 * Hostile inputs against a real agent process on loopback (the aggregator's are bench/hostile.ts): each probe replays
 * an attack on one of the agent's listeners and records the agent's peak RSS (VmRSS sampled every 10 ms), its longest
 * event-loop stall (the slowest /healthz answer, polled every 20 ms from 127.0.0.2; /healthz is answered on the event
 * loop without other work, so its latency is the loop's stall plus the poll's own turn) and what an honest client got
 * meanwhile.
 *
 *   npm run build && node dist/bench/hostile-agent.js [--slow-sockets 256] [--seconds 20] [--push-values 600000]
 *     [--statsd-series 300000] [--memory-limit MiB]
 *
 * - slowloris: N sockets from 16 loopback addresses (127.0.1.1-16) send the start of a GET /metrics and a header
 *   byte a second, never finishing, and reconnect when the agent closes them; a scraper polls /metrics every 250 ms
 *   from 127.0.0.2 and must still be served.
 * - push then StatsD: V distinct label values pushed (in bodies under push.max_body), then 1,000 new StatsD series;
 *   StatsD's must still be stored (its own budget) and the drop counters must still be exposed.
 * - StatsD series: S distinct counters (100 metric names, S/100 tag values each) at the default caps, sent at about
 *   50,000 a second; the memory it costs.
 * Every loop is bounded (the probe's seconds, its counts); every socket is on loopback.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, samples, sleep, start } from '../test/e2e/procs';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SLOW = arg('--slow-sockets', 256);
const SECONDS = arg('--seconds', 20);
const PUSH_VALUES = arg('--push-values', 600_000);
const STATSD_SERIES = arg('--statsd-series', 300_000);
/** memory_limiter.limit in MiB (0: off, as on a host without a cgroup limit; 230: the injected sidecar's 256Mi). */
const MEMORY_LIMIT_MIB = arg('--memory-limit', 0);

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** GET from a given loopback source address; resolves with the status and the body (0 and '' on an error). */
function get(url: string, localAddress: string, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { localAddress, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

const sum = (text: string, name: string) => [...samples(text, name).values()].reduce((a, b) => a + b, 0);

interface Row {
  probe: string;
  outcome: string;
  peakRssMiB: number;
  maxStallMs: number;
}

/** Samples RSS and /healthz latency while `probe` runs. */
async function measure(base: string, pid: number, name: string, probe: () => Promise<string>): Promise<Row> {
  let peak = rssMiB(pid);
  let maxStall = 0;
  let running = true;
  const rss = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 10);
  const poll = (async () => {
    while (running) {
      const t0 = performance.now();
      await get(base + '/healthz', '127.0.0.2');
      maxStall = Math.max(maxStall, performance.now() - t0);
      await sleep(20);
    }
  })();
  let outcome: string;
  try {
    outcome = await probe();
  } catch (err) {
    outcome = `error: ${(err as Error).message}`;
  }
  running = false;
  await poll;
  clearInterval(rss);
  const row = { probe: name, outcome, peakRssMiB: Math.round(peak), maxStallMs: Math.round(maxStall) };
  console.log(JSON.stringify(row));
  return row;
}

/** N slow sockets that reconnect when closed, for `ms`; a scraper polls /metrics meanwhile. */
async function slowloris(port: number, base: string, ms: number): Promise<string> {
  const end = Date.now() + ms;
  const socks = new Set<net.Socket>();
  let opened = 0;
  let closedByAgent = 0;
  const open = (i: number) => {
    if (Date.now() >= end || opened >= SLOW * 200) return;
    opened++;
    const s = net.connect({ port, host: '127.0.0.1', localAddress: `127.0.1.${1 + (i % 16)}` });
    socks.add(s);
    s.on('connect', () => s.write('GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: '));
    s.on('error', () => undefined);
    s.on('close', () => {
      socks.delete(s);
      if (Date.now() < end) {
        closedByAgent++;
        setTimeout(() => open(i), 50);
      }
    });
  };
  for (let i = 0; i < SLOW; i++) open(i);
  const drip = setInterval(() => {
    for (const s of socks) if (!s.destroyed) s.write('a');
  }, 1000);
  let ok = 0;
  let tries = 0;
  let worst = 0;
  while (Date.now() < end) {
    const t0 = performance.now();
    const r = await get(base + '/metrics', '127.0.0.2', 10_000);
    worst = Math.max(worst, performance.now() - t0);
    tries++;
    if (r.status === 200) ok++;
    await sleep(250);
  }
  clearInterval(drip);
  for (const s of socks) s.destroy();
  return `scraper served ${ok} of ${tries}, slowest ${Math.round(worst)} ms; ${opened} slow sockets opened, ${closedByAgent} closed by the agent`;
}

/** V label values pushed in bodies of 100,000 lines, then 1,000 new StatsD series. */
async function pushThenStatsd(pushUrl: string, base: string, statsdPort: number): Promise<string> {
  let stored = 0;
  let dropped = 0;
  let refused = 0;
  for (let from = 0; from < PUSH_VALUES; from += 100_000) {
    const lines: string[] = ['# TYPE hostile_push gauge'];
    for (let i = from; i < Math.min(PUSH_VALUES, from + 100_000); i++) lines.push(`hostile_push{v="${i}"} 1`);
    const r = await fetch(pushUrl, { method: 'POST', body: lines.join('\n') + '\n' });
    const j = (await r.json().catch(() => ({}))) as { samples?: number; dropped?: number };
    if (r.status !== 200) refused++;
    stored += j.samples ?? 0;
    dropped += j.dropped ?? 0;
  }
  const sock = dgram.createSocket('udp4');
  for (let i = 0; i < 1000; i += 20) {
    const pkt = Array.from({ length: 20 }, (_, k) => `hostile.after:1|c|#s:${i + k}`).join('\n');
    await new Promise<void>((r) => sock.send(pkt, statsdPort, '127.0.0.1', () => r()));
  }
  sock.close();
  await sleep(2500); // two StatsD flushes (statsd.flush_interval 1s here)
  const m = (await get(base + '/metrics', '127.0.0.2')).body;
  const after = m.split('\n').filter((l) => l.startsWith('hostile_after')).length;
  const counters = ['outrider_push_dropped_samples_total', 'outrider_store_dropped_writes_total'].filter((n) => samples(m, n).size > 0);
  return `push stored ${stored} of ${PUSH_VALUES} (dropped ${dropped}, ${refused} bodies refused); then StatsD: ${after} of 1000 new series exposed; drop counters exposed: ${counters.join(', ') || 'none'}`;
}

/** S distinct StatsD counters at about 50,000 a second, in 1,400-byte datagrams. */
async function statsdSeries(base: string, statsdPort: number): Promise<string> {
  const sock = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
  const t0 = Date.now();
  let sent = 0;
  while (sent < STATSD_SERIES) {
    const due = Math.min(STATSD_SERIES, Math.floor(((Date.now() - t0) * 50_000) / 1000) + 1000);
    while (sent < due) {
      let pkt = '';
      while (sent < due && pkt.length < 1350) pkt += `${pkt ? '\n' : ''}hostile.series.m${sent % 100}:1|c|#n:${sent++}`;
      await new Promise<void>((r) => sock.send(pkt, statsdPort, '127.0.0.1', () => r()));
    }
    await sleep(10);
  }
  sock.close();
  await sleep(3000);
  const m = (await get(base + '/metrics', '127.0.0.2')).body;
  return `${STATSD_SERIES} sent in ${((Date.now() - t0 - 3000) / 1000).toFixed(1)} s; outrider_statsd_series ${sum(m, 'outrider_statsd_series')}, store series ${sum(m, 'outrider_store_series')}, StatsD samples dropped ${sum(m, 'outrider_statsd_dropped_samples_total')}, store writes dropped ${sum(m, 'outrider_store_dropped_writes_total')}`;
}

interface Agent {
  base: string;
  port: number;
  pushUrl: string;
  statsd: number;
  pid: number;
  stop(): Promise<void>;
}

/** A fresh agent per probe, so one probe's heap does not count in the next one's RSS. */
async function agent(): Promise<Agent> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-hostile-agent-'));
  const [port, pushPort] = [await freePort(), await freePort()];
  const limit = MEMORY_LIMIT_MIB > 0 ? ['--memory-limiter.limit', String(MEMORY_LIMIT_MIB * 1024 * 1024)] : [];
  const p = start(['agent', '--listen', `127.0.0.1:${port}`, '--push.listen', `127.0.0.1:${pushPort}`, '--spool-dir', path.join(dir, 'spool'), '--statsd.flush-interval', '1s', ...limit]);
  const statsd = Number(
    String((await p.waitFor(/StatsD listener is ready/, 60_000)).address)
      .split(':')
      .pop(),
  );
  await p.waitFor(/agent is ready/, 60_000);
  await sleep(1000);
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    pushUrl: `http://127.0.0.1:${pushPort}/api/v1/push`,
    statsd,
    pid: p.child.pid!,
    async stop() {
      const warnings = p.lines.filter((l) => l.level === 40 || l.level === 'warn').map((l) => String(l.msg));
      if (warnings.length) console.log(`  agent warnings: ${[...new Set(warnings)].join(' | ')}`);
      await p.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  console.log(`Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}, memory limiter ${MEMORY_LIMIT_MIB > 0 ? `${MEMORY_LIMIT_MIB} MiB` : 'off'}`);
  const probes: Array<[string, (a: Agent) => Promise<string>]> = [
    ['idle', async () => (await sleep(3000), 'none')],
    [`slowloris: ${SLOW} slow reconnecting sockets on /metrics for ${SECONDS} s`, (a) => slowloris(a.port, a.base, SECONDS * 1000)],
    [`push of ${PUSH_VALUES} label values, then StatsD new series`, (a) => pushThenStatsd(a.pushUrl, a.base, a.statsd)],
    [`StatsD: ${STATSD_SERIES} distinct series at the default caps`, (a) => statsdSeries(a.base, a.statsd)],
  ];
  const rows: Row[] = [];
  for (const [name, probe] of probes) {
    const a = await agent();
    try {
      rows.push(await measure(a.base, a.pid, name, () => probe(a)));
    } finally {
      await a.stop();
    }
  }
  console.log('\n| probe | outcome | peak RSS (MiB) | longest stall (ms) |\n|---|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.probe} | ${r.outcome} | ${r.peakRssMiB} | ${r.maxStallMs} |`);
}

void main();
