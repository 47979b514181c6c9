/**
 * The fleet at scale, simulated: AGENTS simulated agents (one process, many agent ids) send real batches — the wire
 * format's frames, interned definitions then ids only, cumulative counters and gauges, deflate level 1 — at the real
 * cadence (one batch per agent every INTERVAL_MS, spread over the interval) to AGGS real `outrider aggregator`
 * processes, each agent to the aggregator its rendezvous ranking puts first. The aggregators forward with remote
 * write to a counting sink in this process (what the engine would receive). Measured per aggregator from /proc:
 * CPU (utime + stime) and RSS, so per 1,000 agents and per million (agent, series) states; then, with KILL=1, one
 * aggregator is killed: its agents move to their second choice with a handover (as the agent does) and the bench
 * reports when every moved agent was applied at its new owner and what the survivors' CPU and RSS became.
 * Run: node dist/bench/fleet-scale.js   (AGGS=2 AGENTS=2000 SERIES=500 CHANGE=0.5 INTERVAL_MS=10000 ROUNDS=4 KILL=1 CONNS=16;
 * FORWARD=0 leaves remote write out)
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { rendezvousOrder } from '../agent/report/route';
import { decodeWriteRequest } from '../agent/report/remote-write/protobuf';
import { compressSync } from '../agent/wire/codec';
import { Codec, encodeFrame, FrameKind } from '../agent/wire/frame';
import { encodePayload, FamilyDef, SeriesDef } from '../agent/wire/payload';
import { Agg, Fleet } from '../test/e2e/fleet-procs';
import { sleep } from '../test/e2e/procs';
import { uncompress } from 'snappyjs';

const AGGS = Number(process.env.AGGS ?? 2);
const AGENTS = Number(process.env.AGENTS ?? 2000);
const SERIES = Number(process.env.SERIES ?? 500);
const CHANGE = Number(process.env.CHANGE ?? 0.5);
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const KILL = process.env.KILL !== '0';
const CONNS = Number(process.env.CONNS ?? 16);
const KILL_ROUNDS = 2;
/** FORWARD=0: no remote write (splits the forward's cost from ingest). */
const FORWARD = process.env.FORWARD !== '0';
const TICK = 100; // clock ticks per second in /proc/<pid>/stat (USER_HZ)

/** A host's shape: node_exporter-like counters (60 %) and gauges (40 %), 5 labels each. */
const families: FamilyDef[] = [
  { fid: 1, name: 'node_cpu_seconds_total', type: 'counter', help: 'CPU seconds.' },
  { fid: 2, name: 'node_network_receive_bytes_total', type: 'counter', help: 'Bytes received.' },
  { fid: 3, name: 'http_requests_total', type: 'counter', help: 'Requests.' },
  { fid: 4, name: 'node_filesystem_avail_bytes', type: 'gauge', help: 'Free bytes.' },
  { fid: 5, name: 'app_queue_depth', type: 'gauge', help: 'Queue depth.' },
];
const fidOf = (i: number) => [1, 2, 3, 1, 2, 3, 4, 5, 4, 5][i % 10]!;
const isCounter = (i: number) => fidOf(i) <= 3;
const seriesDefs: SeriesDef[] = Array.from({ length: SERIES }, (_, i) => ({
  sid: i + 1,
  fid: fidOf(i),
  labels: ['code', String(200 + (i % 5)), 'device', `d${i % 16}`, 'handler', `/h${i % 40}`, 'mode', `m${i % 8}`, 'shard', String(i)],
}));
const value = (a: number, i: number, r: number) => (isCounter(i) ? r * (1 + (i % 7)) + a : ((a * 31 + i * 17 + r * 13) % 1000) * 1e6);
const changes = (a: number, i: number, r: number) => r <= 1 || ((a * 2654435761 + i * 40503 + r * 97) >>> 0) % 1000 < CHANGE * 1000;

const epoch = Date.now() - 1000;
function batch(a: number, r: number, sentMs: number): Buffer {
  const scalars: number[] = [];
  for (let i = 0; i < SERIES; i++) if (changes(a, i, r)) scalars.push(i + 1, value(a, i, r));
  const defs = r === 1;
  const raw = encodePayload({ agentId: `sim-${a}`, sentMs, meta: { version: 'bench' }, families: defs ? families : [], series: defs ? seriesDefs : [], scalars, dists: [] });
  return encodeFrame(FrameKind.batch, Codec.deflate, epoch, r, compressSync(Codec.deflate, raw, 1));
}
/** The handover a moved agent sends first: every definition and the values of the last round acknowledged. */
function handover(a: number, r: number): Buffer {
  const scalars: number[] = [];
  for (let i = 0; i < SERIES; i++) if (isCounter(i)) scalars.push(i + 1, value(a, i, r));
  const raw = encodePayload({
    agentId: `sim-${a}`,
    sentMs: Date.now(),
    meta: { version: 'bench', handover: { seq: r, scalars, dists: [] } } as never,
    families,
    series: seriesDefs,
    scalars: [],
    dists: [],
  });
  return encodeFrame(FrameKind.defs, Codec.deflate, epoch, 0, compressSync(Codec.deflate, raw, 1));
}

function usage(pid: number): { cpu: number; rss: number; hwm: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(st)?.[1] ?? NaN) * 1024;
  return { cpu: (Number(f[11]) + Number(f[12])) / TICK, rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** The engine's side: a remote write receiver that decodes and counts what arrives. */
async function sink(): Promise<{ url: string; samples: number; bytes: number; close(): void }> {
  const s = { url: '', samples: 0, bytes: 0, close: () => srv.close() };
  const srv = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      s.bytes += body.length;
      for (const x of decodeWriteRequest(Buffer.from(uncompress(body)))) s.samples += x.samples.length;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/api/v1/write`;
  return s;
}

const mib = (b: number) => (b / 1048576).toFixed(0);

async function main(): Promise<void> {
  const fleet = new Fleet();
  const engine = await sink();
  const aggs: Agg[] = [];
  for (let k = 0; k < AGGS; k++)
    aggs.push(
      await fleet.aggregator(`agg-${k}`, {
        remoteWrite: FORWARD ? engine.url : undefined,
        extra: ['--aggregator.forward-interval', '10s', '--aggregator.max-agents', String(AGENTS * 2), '--aggregator.max-series', String(AGENTS * SERIES * 2)],
      }),
    );
  const urls = aggs.map((x) => new URL(x.url).href);
  const order = Array.from({ length: AGENTS }, (_, a) => rendezvousOrder(`sim-${a}`, urls));
  const owner = order.map((o) => o[0]!);
  const idle = aggs.map((x) => usage(x.proc.child.pid!));
  const pools = aggs.map((x) => new Pool(x.url, { connections: CONNS, pipelining: 1 }));
  const stats = { sent: 0, failed: 0, late: [] as number[] };
  const appliedAt = new Map<number, number>();

  const post = async (k: number, body: Buffer): Promise<number> => {
    const res = await pools[k]!.request({ path: '/api/v1/ingest', method: 'POST', body, headers: { 'content-type': 'application/x-outrider-batch' } });
    const text = await res.body.text();
    if (res.statusCode !== 200) console.error(`agg-${k} answered ${res.statusCode}: ${text.slice(0, 300)}`);
    return res.statusCode;
  };
  /** One agent's batch of round r: to its current aggregator; a dead one means a move with a handover first. */
  const send = async (a: number, r: number, body: Buffer): Promise<void> => {
    for (let tries = 0; tries < 3; tries++) {
      const k = owner[a]!;
      try {
        const status = await post(k, body);
        if (status !== 200) throw new Error(`status ${status} from agg-${k}`);
        stats.sent++;
        if (r > ROUNDS + 1 && k !== order[a]![0] && !appliedAt.has(a)) appliedAt.set(a, Date.now());
        return;
      } catch (err) {
        if ((err as { code?: string }).code === undefined) throw err;
        owner[a] = order[a]!.find((x) => x !== 0)!;
        const h = await post(owner[a]!, handover(a, r - 1));
        if (h !== 200) throw new Error(`handover answered ${h}`);
      }
    }
    stats.failed++;
  };
  /** A round at the real cadence: agent a at offset a/AGENTS of the interval; frames encoded one round ahead. */
  const round = async (r: number, frames: Buffer[], t0: number) => {
    const inflight: Array<Promise<void>> = [];
    for (let a = 0; a < AGENTS; a++) {
      const due = t0 + (a / AGENTS) * INTERVAL_MS;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      inflight.push(send(a, r, frames[a]!).then(() => void stats.late.push(Date.now() - due)));
    }
    await Promise.all(inflight);
  };
  const encode = (r: number, t0: number) => Array.from({ length: AGENTS }, (_, a) => batch(a, r, Math.floor(t0 + (a / AGENTS) * INTERVAL_MS)));

  console.log(`${AGGS} aggregators, ${AGENTS} agents x ${SERIES} series (${(CHANGE * 100).toFixed(0)} % changing per batch), one batch per agent every ${INTERVAL_MS / 1000} s`);
  // Round 1 carries the definitions, round 2 warms up; rounds 3.. are measured.
  let t0 = Date.now() + 500;
  let frames = encode(1, t0);
  for (let r = 1; r <= 2; r++) {
    await round(r, frames, t0);
    t0 += INTERVAL_MS;
    frames = encode(r + 1, t0);
    await sleep(Math.max(0, t0 - Date.now()));
  }
  const u0 = aggs.map((x) => usage(x.proc.child.pid!));
  const e0 = { samples: engine.samples, bytes: engine.bytes };
  const w0 = Date.now();
  stats.late = [];
  for (let r = 3; r < 3 + ROUNDS; r++) {
    await round(r, frames, t0);
    t0 += INTERVAL_MS;
    frames = encode(r + 1, t0);
  }
  await sleep(Math.max(0, t0 - Date.now()));
  const wall = (Date.now() - w0) / 1000;
  const u1 = aggs.map((x) => usage(x.proc.child.pid!));
  const samplesIn = AGENTS * SERIES * CHANGE * ROUNDS;
  const late = [...stats.late].sort((x, y) => x - y);
  console.log(`measured ${ROUNDS} rounds in ${wall.toFixed(1)} s; batch answered within p50 ${late[late.length >> 1]} ms, p99 ${late[Math.floor(late.length * 0.99)]} ms of its due time`);
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  const held = wall <= ROUNDS * (INTERVAL_MS / 1000) * 1.2;
  console.log(
    `${held ? 'cadence held' : `cadence NOT held (the rounds took ${(wall / ROUNDS).toFixed(1)} s each)`}; load average ${load}. Cores at the real cadence = CPU-seconds per round / interval.`,
  );
  console.log('aggregator  agents  series(k)  CPU-s/round  cores  samples/CPU-s  RSS MiB (idle, peak)  cores/1k agents  MiB/1k agents  MiB/1M series');
  aggs.forEach((x, k) => {
    const n = owner.filter((o) => o === k).length;
    const cpu = u1[k]!.cpu - u0[k]!.cpu;
    const cores = cpu / ROUNDS / (INTERVAL_MS / 1000);
    const growth = u1[k]!.rss - idle[k]!.rss;
    const cols = [
      x.id.padEnd(10),
      String(n).padStart(6),
      String((n * SERIES) / 1000).padStart(9),
      (cpu / ROUNDS).toFixed(2).padStart(11),
      cores.toFixed(3).padStart(5),
      ((n * SERIES * CHANGE * ROUNDS) / cpu).toFixed(0).padStart(13),
      `${mib(u1[k]!.rss)} (${mib(idle[k]!.rss)}, ${mib(u1[k]!.hwm)})`.padStart(20),
      ((cores * 1000) / n).toFixed(3).padStart(15),
      (((growth / n) * 1000) / 1048576).toFixed(1).padStart(13),
      (((growth / (n * SERIES)) * 1e6) / 1048576).toFixed(0).padStart(13),
    ];
    console.log(cols.join('  '));
  });
  const eSamples = engine.samples - e0.samples;
  const eBytes = engine.bytes - e0.bytes;
  const perSec = (n: number) => n / ROUNDS / (INTERVAL_MS / 1000);
  console.log(
    `at the real cadence: agents send ${perSec(samplesIn).toFixed(0)} samples/s; the engine receives ${perSec(eSamples).toFixed(0)} samples/s (${(eSamples / ROUNDS / AGENTS).toFixed(0)} per agent per interval), ` +
      `${(perSec(eBytes) / 1024).toFixed(0)} KiB/s of remote write (${(eBytes / eSamples).toFixed(2)} B/sample)`,
  );

  if (KILL && AGGS > 1) {
    const moved = owner.map((o, a) => (o === 0 ? a : -1)).filter((a) => a >= 0);
    const v0 = aggs.map((x, k) => (k === 0 ? undefined : usage(x.proc.child.pid!)));
    const tk = Date.now();
    await aggs[0]!.proc.kill9();
    const wk = Date.now();
    for (let r = 3 + ROUNDS; r < 3 + ROUNDS + KILL_ROUNDS; r++) {
      await round(r, frames, t0);
      t0 += INTERVAL_MS;
      frames = encode(r + 1, t0);
    }
    await sleep(Math.max(0, t0 - Date.now()));
    const kw = (Date.now() - wk) / 1000;
    const times = moved.map((a) => (appliedAt.get(a) ?? NaN) - tk).sort((x, y) => x - y);
    console.log(
      `killed agg-0: its ${moved.length} agents moved with a handover; all applied at their new owner ${(times[times.length - 1]! / 1000).toFixed(1)} s after the kill ` +
        `(median ${(times[times.length >> 1]! / 1000).toFixed(1)} s; rounds took ${(kw / KILL_ROUNDS).toFixed(1)} s each; each agent moves at its first batch after the kill)`,
    );
    aggs.forEach((x, k) => {
      if (k === 0) return;
      const u = usage(x.proc.child.pid!);
      const n = owner.filter((o) => o === k).length;
      console.log(
        `  ${x.id}: ${n} agents now; ${((u.cpu - v0[k]!.cpu) / KILL_ROUNDS).toFixed(2)} CPU-s per round over the ${KILL_ROUNDS} rounds after the kill (handovers included), RSS ${mib(u.rss)} MiB (peak ${mib(u.hwm)})`,
      );
    });
    console.log(`batches not delivered: ${stats.failed}`);
  }
  for (const p of pools) await p.close();
  engine.close();
  await fleet.close();
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
