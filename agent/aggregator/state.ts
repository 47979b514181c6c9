/**
 * What the aggregator has applied, per agent and per series, kept durable so a restart neither loses totals nor
 * applies a batch twice.
 *
 * Per agent: the epoch it is in, the highest sequence applied and the set of applied sequences in the last
 * `WINDOW` below it (anything older counts as applied: the agent's window of requests in flight is far smaller).
 * Per (agent, series): the epoch and sequence of the last value applied, that cumulative value (`last`) and the
 * total it contributed across epochs and resets (`acc`). Fleet-wide counters are the sum of `acc` over agents.
 *
 * On disk (state_dir):
 *   snapshot            msgpack {gen, agents, series}; replaced atomically (write snapshot.tmp, fsync, rename, fsync dir)
 *   log-<gen>.log       entries appended after that snapshot: [u32 length][u32 CRC-32C][msgpack entry]; an entry is
 *                       the new state of the agent and of every series one batch changed (replay = overwrite, so it
 *                       is idempotent); a torn tail is ignored. Scalar series updates travel as float64 triples
 *                       (`u3`: id, last, acc; epoch and sequence are the batch's). Sketch-bearing summaries also carry the agent's
 *                       latest sketch (`sk`: flat [id, sketch|null, received ms, ...]).
 * A batch is acknowledged only after its entry is fdatasync'd (group commit: one sync for the batches of a tick).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Packr } from 'msgpackr';
import { crc32c } from '../report/crc32c';
import type { SketchJSON } from '../store/sketch';
import type { MetricType } from '../store/types';
import { syncDir } from '../core/fs-sync';

const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false, bundleStrings: false, useFloat32: 0, mapsAsObjects: true });
export const WINDOW = 4096;

export interface DistState {
  count: number;
  sum: number;
  /** Flat [le, cumulative count, ...]. */
  buckets: number[] | null;
}

export interface SeriesState {
  /** Numeric id of this (agent, series) in the state files. */
  id: number;
  agent: string;
  family: string;
  type: MetricType;
  help: string;
  /** Flat sorted [name, value, ...]. */
  labels: string[];
  epoch: number;
  seq: number;
  last: number | DistState;
  acc: number | DistState;
  /** Quantiles as last reported (summaries; not mergeable). */
  quantiles?: number[] | null;
  /**
   * Sketch-bearing summaries only (absent otherwise): the agent's latest interval sketch, null when that interval
   * had no samples; and when it was received.
   */
  sketch?: SketchJSON | null;
  sketchMs?: number;
}

export interface AgentState {
  id: string;
  epoch: number;
  high: number;
  recent: number[];
  lastSeenMs: number;
  lastSentMs: number;
  version: string;
  backlogBytes: number;
  backlogBatches: number;
  droppedBatches: number;
  appliedBatches: number;
}

/** One applied batch: the agent's state, series new to the state in full, and the others as flat updates. */
interface Entry {
  /** The agent's state without `recent` (rebuilt from `seq` on replay). */
  agent: AgentState;
  seq: number;
  full: Array<[string, SeriesState]>;
  /** Flat [id, epoch, seq, last, acc, quantiles, ...]. */
  upd: unknown[];
  /** Flat [id, sketch|null, sketchMs, ...] for updated sketch-bearing series (absent when none). */
  sk?: unknown[];
  /**
   * Updated scalar series, compact: little-endian float64 triples [id, last, acc] (their epoch and sequence are the
   * batch's). Absent when none; `upd` then holds only distributions.
   */
  u3?: Uint8Array;
}
const UPD = 6;

export class StateStore {
  readonly dir: string;
  readonly agents = new Map<string, AgentState>();
  readonly recentSets = new Map<string, Set<number>>();
  readonly series = new Map<string, SeriesState>();
  readonly #byId = new Map<number, SeriesState>();
  #nextId = 1;
  #gen = 0;
  #logFd: number | undefined;
  #logBytes = 0;
  #pending: Buffer[] = [];
  #waiters: Array<(err?: Error) => void> = [];
  #committing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #commitMs: number;
  /** Called when state cannot be made durable: the process must not acknowledge anything more. */
  onFatal: ((err: Error) => void) | undefined;
  tornEntries = 0;

  constructor(dir: string, commitMs: number) {
    this.dir = dir;
    this.#commitMs = commitMs;
  }

  /** Loads snapshot + logs; opens a fresh log. */
  open(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const snap = path.join(this.dir, 'snapshot');
    if (fs.existsSync(snap)) {
      const s = packr.unpack(fs.readFileSync(snap)) as { gen: number; agents: AgentState[]; series: Array<[string, SeriesState]> };
      this.#gen = s.gen;
      for (const a of s.agents) this.#setAgent(a);
      for (const [k, v] of s.series) this.#put(k, v);
    }
    const logs = fs
      .readdirSync(this.dir)
      .filter((n) => /^log-\d+\.log$/.test(n))
      .map((n) => ({ n, gen: Number(n.slice(4, -4)) }))
      .sort((a, b) => a.gen - b.gen);
    for (const { n, gen } of logs) {
      if (gen <= this.#gen) {
        fs.rmSync(path.join(this.dir, n), { force: true });
        continue;
      }
      this.#replay(path.join(this.dir, n));
    }
    this.snapshot();
  }

  #replay(file: string): void {
    const buf = fs.readFileSync(file);
    let off = 0;
    while (off + 8 <= buf.length) {
      const len = buf.readUInt32LE(off);
      const crc = buf.readUInt32LE(off + 4);
      if (off + 8 + len > buf.length || crc32c(buf, off + 8, off + 8 + len) !== crc) {
        this.tornEntries++;
        break;
      }
      const e = packr.unpack(buf.subarray(off + 8, off + 8 + len)) as Entry;
      const prev = this.agents.get(e.agent.id);
      let set = this.recentSets.get(e.agent.id);
      if (!prev || !set || prev.epoch !== e.agent.epoch) this.recentSets.set(e.agent.id, (set = new Set()));
      set.add(e.seq);
      this.agents.set(e.agent.id, e.agent);
      for (const [k, v] of e.full) this.#put(k, v);
      for (let i = 0; i < e.upd.length; i += UPD) {
        const st = this.#byId.get(e.upd[i] as number);
        if (!st) continue;
        st.epoch = e.upd[i + 1] as number;
        st.seq = e.upd[i + 2] as number;
        st.last = e.upd[i + 3] as SeriesState['last'];
        st.acc = e.upd[i + 4] as SeriesState['acc'];
        st.quantiles = e.upd[i + 5] as number[] | null;
      }
      if (e.u3) {
        const f = new Float64Array(e.u3.buffer.slice(e.u3.byteOffset, e.u3.byteOffset + e.u3.byteLength));
        for (let i = 0; i + 2 < f.length; i += 3) {
          const st = this.#byId.get(f[i]!);
          if (!st) continue;
          st.epoch = e.agent.epoch;
          st.seq = e.seq;
          st.last = f[i + 1]!;
          st.acc = f[i + 2]!;
        }
      }
      const sk = e.sk ?? [];
      for (let i = 0; i < sk.length; i += 3) {
        const st = this.#byId.get(sk[i] as number);
        if (!st) continue;
        st.sketch = sk[i + 1] as SketchJSON | null;
        st.sketchMs = sk[i + 2] as number;
      }
      off += 8 + len;
    }
  }

  #put(key: string, st: SeriesState): void {
    this.series.set(key, st);
    this.#byId.set(st.id, st);
    if (st.id >= this.#nextId) this.#nextId = st.id + 1;
  }

  /** A fresh id for a series new to the state. */
  nextId(): number {
    return this.#nextId++;
  }

  /** Adds a series state created by the merger (the log entry carries it in full). */
  add(key: string, st: SeriesState): void {
    this.#put(key, st);
  }

  #setAgent(a: AgentState): void {
    this.agents.set(a.id, a);
    this.recentSets.set(a.id, new Set(a.recent));
  }

  /** Whether (epoch, seq) was already applied for this agent (or is older than anything it could still send). */
  isApplied(agent: string, epoch: number, seq: number): boolean {
    const a = this.agents.get(agent);
    if (!a) return false;
    if (epoch < a.epoch) return true;
    if (epoch > a.epoch) return false;
    if (seq <= a.high - WINDOW) return true;
    return this.recentSets.get(agent)!.has(seq);
  }

  /** Marks a batch applied (in memory) and queues its log entry; `commit()` makes it durable. */
  record(a: AgentState, seq: number, epoch: number, full: Array<[string, SeriesState]>, updated: readonly SeriesState[]): void {
    let set = this.recentSets.get(a.id);
    if (!set || epoch !== a.epoch) {
      set = new Set();
      this.recentSets.set(a.id, set);
      a.epoch = epoch;
      a.high = 0;
    }
    set.add(seq);
    if (seq > a.high) {
      a.high = seq;
      // Trimmed in bulk (amortised): anything at or below high - WINDOW counts as applied anyway.
      if (set.size > 2 * WINDOW) for (const s of set) if (s <= a.high - WINDOW) set.delete(s);
    }
    a.appliedBatches++;
    this.agents.set(a.id, a);
    const upd: unknown[] = [];
    let sk: unknown[] | undefined;
    const u3 = new Float64Array(updated.length * 3);
    let n3 = 0;
    for (const st of updated) {
      if (typeof st.last === 'number' && typeof st.acc === 'number' && st.epoch === epoch && st.seq === seq && !st.quantiles) {
        u3[n3++] = st.id;
        u3[n3++] = st.last;
        u3[n3++] = st.acc;
        continue;
      }
      upd.push(st.id, st.epoch, st.seq, st.last, st.acc, st.quantiles ?? null);
      if (st.sketch !== undefined) (sk ??= []).push(st.id, st.sketch, st.sketchMs ?? 0);
    }
    // The applied-sequence window goes into snapshots only; a log entry carries just this batch's sequence.
    const entry: Entry = { agent: { ...a, recent: [] }, seq, full, upd };
    if (sk) entry.sk = sk;
    if (n3 > 0) entry.u3 = Buffer.from(u3.buffer, 0, n3 * 8);
    const body = packr.pack(entry);
    const head = Buffer.allocUnsafe(8);
    head.writeUInt32LE(body.length, 0);
    head.writeUInt32LE(crc32c(body), 4);
    this.#pending.push(head, body);
  }

  /** Resolves once everything recorded so far is on disk. */
  commit(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiters.push((err) => (err ? reject(err) : resolve()));
      if (!this.#timer && !this.#committing) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          void this.#flush();
        }, this.#commitMs);
      }
    });
  }

  async #flush(): Promise<void> {
    if (this.#committing) return;
    const bufs = this.#pending;
    const waiters = this.#waiters;
    this.#pending = [];
    this.#waiters = [];
    this.#committing = (async () => {
      try {
        if (bufs.length > 0) {
          const data = Buffer.concat(bufs);
          if (this.#logFd === undefined) this.#openLog();
          await writeAll(this.#logFd!, data);
          await new Promise<void>((res, rej) => fs.fdatasync(this.#logFd!, (e) => (e ? rej(e) : res())));
          this.#logBytes += data.length;
        }
        for (const w of waiters) w();
      } catch (err) {
        for (const w of waiters) w(err as Error);
        this.onFatal?.(err as Error);
      }
    })();
    await this.#committing;
    this.#committing = undefined;
    if (this.#waiters.length > 0) void this.#flush();
  }

  get logBytes(): number {
    return this.#logBytes;
  }

  /** Writes the whole state as a new snapshot and starts a new log (call when no commit is running). */
  snapshot(): void {
    if (this.#committing || this.#pending.length > 0) return;
    const gen = this.#gen + 1;
    for (const a of this.agents.values()) a.recent = [...(this.recentSets.get(a.id) ?? [])];
    const body = packr.pack({ gen, agents: [...this.agents.values()], series: [...this.series.entries()] });
    const tmp = path.join(this.dir, 'snapshot.tmp');
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, body);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(this.dir, 'snapshot'));
    syncDir(this.dir);
    this.#gen = gen;
    if (this.#logFd !== undefined) fs.closeSync(this.#logFd);
    this.#logFd = undefined;
    this.#logBytes = 0;
    // Every log up to this generation is folded into the snapshot.
    for (const n of fs.readdirSync(this.dir)) if (/^log-\d+\.log$/.test(n) && Number(n.slice(4, -4)) <= gen) fs.rmSync(path.join(this.dir, n), { force: true });
  }

  #openLog(): void {
    this.#logFd = fs.openSync(path.join(this.dir, `log-${this.#gen + 1}.log`), 'a', 0o600);
    syncDir(this.dir);
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#committing) await this.#committing;
    await this.#flush();
    try {
      this.snapshot();
    } catch {
      /* the log holds everything; the next start replays it */
    }
    if (this.#logFd !== undefined) fs.closeSync(this.#logFd);
    this.#logFd = undefined;
  }
}

function writeAll(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const step = () =>
      fs.write(fd, data, off, data.length - off, null, (err, n) => {
        if (err) return reject(err);
        off += n;
        if (off < data.length) step();
        else resolve();
      });
    step();
  });
}

