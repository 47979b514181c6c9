/**
 * What an open live page costs the agent, and what the page costs to load.
 *
 * Two agents with the same config run side by side in the same run (same host, same load): one with a page open
 * (its /api/v1/live/history loaded, then its event stream read), the other with none. CPU is sampled from
 * /proc/<pid>/stat over `--seconds`; then the roles swap for a second half, so a difference between the two
 * processes themselves cancels out. The cost is the CPU of "page open" minus "no page", in % of one core.
 * A page's renderer is the browser's business: the agent's side of an open page is the history answer and the
 * stream, which this client reads as a browser would.
 *
 * Transfer: every file of the page with gzip (what a first visit downloads), the history answer with gzip, and the
 * stream's bytes per minute.
 *
 *   node dist/bench/live.js [--seconds=60] [--interval=1s]
 */
import { ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { cpuTicks, freePort, waitUp } from './proc-sample';
import { liveFiles } from '../agent/live/assets';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const seconds = Number(args.seconds ?? 60);
const interval = args.interval ?? '1s';
const hz = 100; // USER_HZ on Linux

interface Agent {
  child: ChildProcess;
  url: string;
}

async function startAgent(): Promise<Agent> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(__dirname, '..', '..', 'bin', 'outrider.js'),
      'agent',
      `--listen=127.0.0.1:${port}`,
      '--statsd.listen=udp://127.0.0.1:0',
      '--otlp.http.listen=',
      '--otlp.grpc.listen=',
      '--log-level=warn',
      `--collectors.interval=${interval}`,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUp(`${url}/readyz`);
  return { child, url };
}

/** Bytes of a GET with gzip accepted. */
function gzBytes(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
    })
      .on('error', reject)
      .end();
  });
}

/** Opens the page's event stream; counts the bytes; returns a close function. */
function openStream(url: string): { bytes: () => number; close: () => void } {
  let n = 0;
  const req = request(`${url}/api/v1/live/stream`, (res) => res.on('data', (c: Buffer) => (n += c.length)));
  req.on('error', () => undefined);
  req.end();
  return { bytes: () => n, close: () => req.destroy() };
}

async function half(open: Agent, none: Agent, ms: number): Promise<{ open: number; none: number; streamBytes: number }> {
  await gzBytes(`${open.url}/api/v1/live/history`);
  const stream = openStream(open.url);
  await new Promise((r) => setTimeout(r, 3000)); // the first frames, and the feed's first full read, out of the sample
  const a0 = cpuTicks(open.child.pid!);
  const b0 = cpuTicks(none.child.pid!);
  const s0 = stream.bytes();
  await new Promise((r) => setTimeout(r, ms));
  const res = { open: (cpuTicks(open.child.pid!) - a0) / hz / (ms / 1000), none: (cpuTicks(none.child.pid!) - b0) / hz / (ms / 1000), streamBytes: ((stream.bytes() - s0) * 60_000) / ms };
  stream.close();
  return res;
}

async function main(): Promise<void> {
  const a = await startAgent();
  const b = await startAgent();
  try {
    await new Promise((r) => setTimeout(r, 5000)); // settle after start-up
    let files = 0;
    for (const p of Object.keys(liveFiles)) files += await gzBytes(`${a.url}${p}`);
    const history = await gzBytes(`${a.url}/api/v1/live/history`);
    const ms = (seconds * 1000) / 2;
    const h1 = await half(a, b, ms);
    await new Promise((r) => setTimeout(r, 2000));
    const h2 = await half(b, a, ms);
    const open = (h1.open + h2.open) / 2;
    const none = (h1.none + h2.none) / 2;
    const pct = (x: number) => (x * 100).toFixed(2) + ' %';
    console.log(`page transfer (gzip): files ${(files / 1024).toFixed(1)} KiB + history ${(history / 1024).toFixed(1)} KiB = ${((files + history) / 1024).toFixed(1)} KiB`);
    console.log(`event stream: ${((h1.streamBytes + h2.streamBytes) / 2 / 1024).toFixed(1)} KiB per minute (uncompressed)`);
    console.log(`agent CPU over ${seconds} s (two halves, roles swapped), collectors every ${interval}:`);
    console.log(`  no page open:  ${pct(none)} of a core   (halves: ${pct(h1.none)}, ${pct(h2.none)})`);
    console.log(`  one page open: ${pct(open)} of a core   (halves: ${pct(h1.open)}, ${pct(h2.open)})`);
    console.log(`  cost of the open page: ${pct(open - none)} of a core (target ≤ 0.50 %); ratio open/none ${(open / none).toFixed(3)}`);
  } finally {
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
