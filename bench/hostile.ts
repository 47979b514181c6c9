/**
 * Hostile inputs against a real aggregator process on loopback: each probe replays an attack (decode amplification,
 * decompression bombs, a huge label, NaN poison, a forged sequence, reads without a token, slow sockets) and records
 * the aggregator's peak RSS (VmRSS sampled every 10 ms) and its longest event-loop stall (the slowest /healthz answer,
 * polled every 10 ms from this process) while the probe runs, and whether it was refused as expected.
 *
 *   npm run build && node dist/bench/hostile.js [--slow-sockets 2000] [--baseline /path/to/old/dist]
 *
 * `--baseline DIR` first runs the same probes against the aggregator of another build (`DIR/../bin/outrider.js`).
 * `--inflate` measures one decompression bomb in process, synchronous inflate beside the aggregator's.
 *
 * `--restart N` instead measures a restart with the state at N (agent, series) states (1,000 agents): the snapshot
 * written (its wall time and the longest event-loop stall meanwhile), then a cold open and the merged store rebuilt;
 * `--baseline DIR` runs the same beside the state store of another build's `dist` folder, in the same process.
 *
 *   node --max-old-space-size=8192 dist/bench/hostile.js --restart 2000000 [--baseline /path/to/old/dist]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { compressSync, decompressSync } from '../agent/wire/codec';
import { Codec, encodeFrame, FrameKind } from '../agent/wire/frame';
import { inflatePayload } from '../agent/aggregator/inflate';
import { encodePayload, packr } from '../agent/wire/payload';
import { Merger } from '../agent/aggregator/merge';
import { StateStore } from '../agent/aggregator/state';
import { AgentState, SeriesState, stateKey } from '../agent/aggregator/state-model';
import { Store } from '../agent/store/store';
import { freePort } from './proc-sample';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SLOW = arg('--slow-sockets', 2000);

/** GET from a given loopback source address (the slow sockets come from 127.0.0.1; an honest client is elsewhere). */
function get(url: string, p: string, localAddress: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url + p, { localAddress, headers, agent: false, timeout: 60_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Samples RSS and /healthz latency while `probe` runs. */
async function measure(url: string, pid: number, probe: () => Promise<string>): Promise<{ peakRssMiB: number; maxStallMs: number; outcome: string }> {
  let peak = rssMiB(pid);
  let maxStall = 0;
  let running = true;
  const rss = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 10);
  const poll = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        await get(url, '/healthz', '127.0.0.3');
      } catch {
        /* counted as the time it took */
      }
      maxStall = Math.max(maxStall, performance.now() - t0);
      await sleep(10);
    }
  })();
  let outcome: string;
  try {
    outcome = await probe();
  } catch (err) {
    outcome = `error: ${(err as Error).message}`;
  }
  await sleep(200);
  running = false;
  await poll;
  clearInterval(rss);
  return { peakRssMiB: Math.round(peak), maxStallMs: Math.round(maxStall), outcome };
}

async function post(url: string, body: Buffer, token: string): Promise<string> {
  const r = await fetch(url + '/api/v1/ingest', { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-outrider-batch' } });
  const j = (await r.json().catch(() => ({}))) as { code?: string; status?: string };
  return `${r.status} ${j.code ?? j.status ?? ''}`.trim();
}

function deflated(raw: Buffer, epoch: number, seq: number): Buffer {
  return encodeFrame(FrameKind.batch, Codec.deflate, epoch, seq, zlib.deflateRawSync(raw, { level: 9 }));
}

function amplified(n: number, agent: string): Buffer {
  const head = Buffer.from(packr.pack([1, agent, Date.now(), {}, [], []]));
  head[0] = 0x98;
  const arr = Buffer.alloc(5 + n, 0xc0);
  arr[0] = 0xdd;
  arr.writeUInt32BE(n, 1);
  return Buffer.concat([head, arr, Buffer.from([0x90])]);
}

/** The probes against the aggregator of `bin` (an outrider.js), one row each. */
async function probeAll(bin: string): Promise<Array<Record<string, unknown>>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-hostile-'));
  fs.writeFileSync(path.join(dir, 'tokens'), 'victim-tok victim\nmallory-tok mallory\nreader @read\n');
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [bin, 'aggregator', '--listen', `127.0.0.1:${port}`, '--state-dir', path.join(dir, 'state'), '--tokens-file', path.join(dir, 'tokens'), '--log_level', 'error'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(url + '/healthz').then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await sleep(50);
  }
  const pid = child.pid!;
  const epoch = Date.now();
  const hist = { families: [{ fid: 1, name: 'lat', type: 'histogram' as const, help: '' }], series: [{ sid: 1, fid: 1, labels: [] }] };
  // Bodies are built before the probes: building them blocks this process, whose /healthz poll measures the stalls.
  const ampBody = deflated(amplified(60_000_000, 'mallory'), epoch, 1);
  const bombBody = deflated(Buffer.alloc(64 << 20), epoch, 1);
  const labelBody = deflated(
    encodePayload({
      agentId: 'mallory',
      sentMs: Date.now(),
      meta: {},
      families: [{ fid: 1, name: 'm', type: 'gauge', help: '' }],
      series: [{ sid: 1, fid: 1, labels: ['v', 'x'.repeat(60 << 20)] }],
      scalars: [1, 1],
      dists: [],
    }),
    epoch,
    1,
  );
  const probes: Array<[string, () => Promise<string>]> = [
    ['idle', async () => 'none'],
    [
      'amplification: 6 x 60 M nils (61 KB deflated) at once',
      async () => {
        const body = ampBody;
        const r = await Promise.all(Array.from({ length: 6 }, () => post(url, body, 'mallory-tok')));
        return `${r[0]} (body ${body.length} B)`;
      },
    ],
    [
      'decompression bomb: 6 x 64 MiB of zeros at once',
      async () => {
        const body = bombBody;
        const r = await Promise.all(Array.from({ length: 6 }, () => post(url, body, 'mallory-tok')));
        return `${r[0]} (body ${body.length} B)`;
      },
    ],
    ['huge label: one 60 MiB label value', async () => `${await post(url, labelBody, 'mallory-tok')} (body ${labelBody.length} B)`],
    [
      'NaN poison: a NaN histogram count',
      async () => {
        await post(
          url,
          deflated(
            encodePayload({
              agentId: 'victim',
              sentMs: Date.now(),
              meta: {},
              ...hist,
              scalars: [],
              dists: [{ sid: 1, count: 4, sum: 2, buckets: [1, 4, Infinity, 4], quantiles: null, sketch: null }],
            }),
            epoch,
            1,
          ),
          'victim-tok',
        );
        await post(
          url,
          deflated(
            encodePayload({
              agentId: 'mallory',
              sentMs: Date.now(),
              meta: {},
              ...hist,
              scalars: [],
              dists: [{ sid: 1, count: NaN, sum: 2, buckets: [1, 4, Infinity, 4], quantiles: null, sketch: null }],
            }),
            epoch,
            2,
          ),
          'mallory-tok',
        );
        const text = await (await fetch(url + '/metrics', { headers: { authorization: 'Bearer reader' } })).text();
        return /lat_count 4\n/.test(text) ? 'fleet lat_count stays 4' : 'POISONED';
      },
    ],
    [
      'forged sequence 2^52 under the victim id',
      async () => post(url, deflated(encodePayload({ agentId: 'victim', sentMs: Date.now(), meta: {}, families: [], series: [], scalars: [], dists: [] }), epoch, 2 ** 52), 'mallory-tok'),
    ],
    ['reads without a token', async () => String((await fetch(url + '/metrics')).status)],
    [
      `slow sockets: ${SLOW} half-sent headers, then an honest request`,
      async () => {
        const socks: net.Socket[] = [];
        let closed = 0;
        for (let i = 0; i < SLOW; i++) {
          const s = net.connect(port, '127.0.0.1');
          s.on('error', () => undefined);
          s.on('close', () => closed++);
          s.resume();
          s.write('POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\n');
          socks.push(s);
        }
        await sleep(500);
        const t0 = performance.now();
        let honest = '';
        for (let i = 0; i < 200 && !honest.startsWith('200'); i++) {
          honest = await get(url, '/healthz', '127.0.0.2').then(String, (e: Error) => e.message);
          if (!honest.startsWith('200')) await sleep(100);
        }
        const waited = Math.round(performance.now() - t0);
        await sleep(11_000);
        const open = SLOW - closed;
        socks.forEach((s) => s.destroy());
        return `honest /healthz ${honest} after ${waited} ms; ${open} slow sockets still open 11 s later`;
      },
    ],
  ];
  const rows: Array<Record<string, unknown>> = [];
  for (const [name, probe] of probes) {
    const m = await measure(url, pid, probe);
    rows.push({ probe: name, ...m });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });
  return rows;
}

/** This tree's aggregator, and with `--baseline DIR` (another build's `dist` folder) that build's first, same probes. */
async function main(): Promise<void> {
  const baseDir = process.argv.includes('--baseline') ? process.argv[process.argv.indexOf('--baseline') + 1]! : undefined;
  const base = baseDir ? await probeAll(path.resolve(baseDir, '..', 'bin', 'outrider.js')) : undefined;
  const rows = await probeAll(path.join(__dirname, '..', '..', 'bin', 'outrider.js'));
  if (base) {
    console.log('\n| probe | outcome | peak RSS (MiB), baseline → this tree | longest stall (ms), baseline → this tree |\n|---|---|---:|---:|');
    for (const [i, r] of rows.entries()) {
      const b = base[i]!;
      console.log(`| ${String(r.probe)} | ${String(r.outcome)} | ${String(b.peakRssMiB)} → ${String(r.peakRssMiB)} | ${String(b.maxStallMs)} → ${String(r.maxStallMs)} |`);
    }
    return;
  }
  console.log('\n| probe | outcome | peak RSS (MiB) | longest stall (ms) |\n|---|---|---:|---:|');
  for (const r of rows) console.log(`| ${String(r.probe)} | ${String(r.outcome)} | ${String(r.peakRssMiB)} | ${String(r.maxStallMs)} |`);
}

/** CPU time of this thread (the event loop's) in ms where the runtime tells it (Node ≥ 23.9), else of the process. */
function loopCpuMs(): number {
  const u = ((process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage ?? process.cpuUsage)();
  return (u.user + u.system) / 1000;
}

/**
 * Decompression bombs (64 MiB of zeros in each codec; 96 MiB of two symbols in a 12 MiB body) refused at the bounds by the synchronous inflate and by
 * the aggregator's inflate (agent/aggregator/inflate.ts), in process: the longest event-loop stall and the event
 * loop's CPU time for each (on a shared machine the CPU time is the figure that does not depend on the load).
 */
async function inflateBench(): Promise<void> {
  const zeros = Buffer.alloc(64 << 20);
  // A bomb of low ratio in a large body: 96 MiB of two symbols (about 8:1), refused at max_decompressed (64 MiB).
  const twoSymbols = Buffer.allocUnsafe(96 << 20);
  for (let i = 0; i < twoSymbols.length; i++) twoSymbols[i] = Math.random() < 0.5 ? 0x61 : 0x62;
  for (const [name, codec, raw] of [
    ['gzip, zeros', Codec.gzip, zeros],
    ['deflate, zeros', Codec.deflate, zeros],
    ['brotli, zeros', Codec.brotli, zeros],
    ['deflate, two symbols', Codec.deflate, twoSymbols],
  ] as const) {
    const bomb = compressSync(codec, raw, 9);
    const max = Math.min(64 << 20, Math.max(65_536, 256 * bomb.length));
    const row: Record<string, unknown> = { codec: name, bombBytes: bomb.length, limit: max };
    for (const [how, run] of [
      ['sync', async () => decompressSync(codec, bomb, max)],
      ['aggregator', () => inflatePayload(codec, bomb, max)],
    ] as const) {
      const best = { stallMs: Infinity, loopCpuMs: Infinity };
      for (let i = 0; i < 5; i++) {
        const stalls = stallMeter();
        const c0 = loopCpuMs();
        await run().catch((e: { code?: string }) => {
          if (e.code !== 'ERR_BUFFER_TOO_LARGE') throw e as Error;
        });
        const cpu = loopCpuMs() - c0;
        await sleep(5);
        best.stallMs = Math.min(best.stallMs, stalls.stop());
        best.loopCpuMs = Math.min(best.loopCpuMs, cpu);
      }
      row[`${how}StallMs`] = Math.round(best.stallMs * 10) / 10;
      row[`${how}LoopCpuMs`] = Math.round(best.loopCpuMs * 10) / 10;
    }
    console.log(JSON.stringify(row));
  }
}

/** The longest gap between turns of a 1 ms timer chain, from now until `stop`. */
function stallMeter(): { stop: () => number } {
  let last = performance.now();
  let max = 0;
  let on = true;
  const tick = () => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
    if (on) setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  return {
    stop: () => {
      on = false;
      return max;
    },
  };
}

interface RestartStore {
  readonly series: Map<string, SeriesState>;
  readonly agents: Map<string, AgentState>;
  readonly recentSets: Map<string, Set<number>>;
  open(): void;
  add(key: string, st: SeriesState): void;
  snapshot(): unknown;
}

/**
 * Restart at N states: this tree's store beside, with `--baseline DIR`, the store of another build (a `dist` folder,
 * e.g. one built from an earlier commit), both over the same state objects in the same process. For each: the
 * snapshot's wall time and the longest event-loop stall while it is written (the longest gap between the turns of a
 * 1 ms timer; a synchronous snapshot stalls for all of it), its size, and a cold `open`. Then the merged store
 * rebuilt from this tree's open.
 */
async function restart(n: number): Promise<void> {
  const baseDir = process.argv.includes('--baseline') ? process.argv[process.argv.indexOf('--baseline') + 1]! : undefined;
  type Ctor = new (dir: string, commitMs: number) => RestartStore;
  const impls: Array<[string, Ctor]> = [];
  // A build chosen at run time, so a require (an import() of a CommonJS dist file needs a file URL and gives the same).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (baseDir) impls.push(['baseline', (require(path.resolve(baseDir, 'agent/aggregator/state')) as { StateStore: Ctor }).StateStore]);
  impls.push(['this tree', StateStore as unknown as Ctor]);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-restart-'));
  const stores = impls.map(([name, C], i) => {
    const dir = path.join(root, String(i));
    const s = new C(dir, 1);
    s.open();
    return { name, C, dir, s };
  });
  const agents = 1000;
  let id = 1;
  for (let a = 0; a < agents; a++) {
    const agent = `agent-${a}`;
    const recent = Array.from({ length: 100 }, (_, i) => i + 1);
    const st: AgentState = { id: agent, epoch: 1, high: 100, recent, lastSeenMs: 0, lastSentMs: 0, version: '', backlogBytes: 0, backlogBatches: 0, droppedBatches: 0, appliedBatches: 100 };
    for (const { s } of stores) {
      s.agents.set(agent, st);
      s.recentSets.set(agent, new Set(recent));
    }
    for (let i = 0; i < n / agents; i++) {
      const labels = ['code', '200', 'path', `/p${i}`];
      const key = stateKey(agent, 'reqs_total', labels);
      const st: SeriesState = { id: id++, agent, family: 'reqs_total', type: 'counter', help: 'Requests.', labels, epoch: 1, seq: 100, last: i, acc: i };
      for (const { s } of stores) s.add(key, st);
    }
  }
  const r = (x: number) => Math.round(x);
  const rows: Array<Record<string, number | string>> = [];
  for (const { name, dir, s } of stores) {
    const stalls = stallMeter();
    const c0 = loopCpuMs();
    const t0 = performance.now();
    const stats = (await s.snapshot()) as { slices?: number; longestSliceMs?: number } | undefined;
    const snapshotMs = performance.now() - t0;
    const cpuMs = loopCpuMs() - c0;
    await sleep(20); // a synchronous snapshot's stall is seen when the loop turns again
    const stallMs = stalls.stop();
    rows.push({
      impl: name,
      snapshotMs: r(snapshotMs),
      stallMs: r(stallMs),
      slices: stats?.slices ?? 1,
      longestSliceMs: r(stats?.longestSliceMs ?? snapshotMs),
      loopCpuMs: r(cpuMs),
      loopCpuPerSliceMs: Math.round((10 * cpuMs) / (stats?.slices ?? 1)) / 10,
      snapshotMB: Math.round(fs.statSync(path.join(dir, 'snapshot')).size / 1e5) / 10,
    });
  }
  // The built state is no longer needed: the opens below start from the files.
  for (const x of stores) (x as { s?: RestartStore }).s = undefined;
  let opened: RestartStore | undefined;
  for (const [i, { C, dir }] of stores.entries()) {
    opened = undefined;
    const t0 = performance.now();
    const s2 = new C(dir, 1);
    s2.open();
    rows[i]!.openMs = r(performance.now() - t0);
    opened = s2;
  }
  const t0 = performance.now();
  new Merger(new Store({ staleAfterMs: 1e12, maxSeries: 2 * n + 10_000 })).rebuild(opened!.series.values());
  const rebuildMs = r(performance.now() - t0);
  for (const row of rows) console.log(JSON.stringify({ series: n, ...row }));
  console.log(JSON.stringify({ series: n, rebuildMs, rssMiB: r(process.memoryUsage().rss / 2 ** 20) }));
  fs.rmSync(root, { recursive: true, force: true });
}

if (process.argv.includes('--restart')) void restart(arg('--restart', 200_000));
else if (process.argv.includes('--inflate')) void inflateBench();
else void main();
