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
 *   snapshot            msgpack {gen, v: 2, agents, names, fams, cols, labels, other}; replaced atomically (write
 *                       snapshot.tmp, fsync, rename, fsync dir). Scalar series (counters, gauges) are stored in columns:
 *                       `cols` is little-endian float64 rows [id, agent index (into `names`), family index (into `fams`,
 *                       flat [name, type, help, ...]), epoch, seq, last, acc, label count]; `labels` is every row's label
 *                       strings concatenated in order and `lens` their lengths (u32, UTF-16 code units); the keys
 *                       are derived again on load. Distributions go in
 *                       `other` as [key, state] pairs. (Format 1, {gen, agents, series: [key, state][]}, still loads.)
 *   log-<gen>.log       entries appended after that snapshot: [u32 length][u32 CRC-32C][entry]; an entry is the new
 *                       state of the agent and of every series one batch changed (replay = overwrite, so it is
 *                       idempotent); a torn tail is ignored. Two entry forms:
 *                       - a batch that only updated scalar series (the steady state) is binary: 0xc1 (a byte msgpack
 *                         never uses), 1 (form version), u16 + agent id (UTF-8), u16 + agent version, float64 × 9
 *                         [epoch, high, lastSeenMs, lastSentMs, backlogBytes, backlogBatches, droppedBatches,
 *                         appliedBatches, seq], then float64 triples [id, last, acc] (epoch and seq are the batch's);
 *                       - anything else is a msgpack map {agent, seq, full, upd, u3?, sk?}: series new to the state in
 *                         full, distribution updates flat in `upd`, scalar updates as float64 triples in `u3`, and the
 *                         latest sketch of sketch-bearing summaries in `sk` (flat [id, sketch|null, received ms, ...]).
 * All integers and floats little-endian.
 * A batch is acknowledged only after its entry is fdatasync'd (group commit: one sync for the batches of a tick).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Packr } from 'msgpackr';
import { crc32c } from '../report/crc32c';
import type { SketchJSON } from '../store/sketch';
import type { MetricType } from '../store/types';
import { labelKey } from '../store/store';
import { labelsObject } from './merge';
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
/** First byte of a binary log entry (0xc1 is never used by msgpack, so it cannot start a msgpack entry). */
const BIN_ENTRY = 0xc1;
const BIN_AGENT_NUMS = 9;
/** Columns of a scalar series row in a format-2 snapshot. */
const SNAP_COLS = 8;
/** Longest agent version string kept (it comes from the agent's batches). */
export const MAX_VERSION_CHARS = 128;

/** A merged series' identity: family and canonical label key (labels flat [name, value, ...]). */
export function seriesKey(family: string, labels: readonly string[]): string {
  return family + '\u0000' + labelKey(labelsObject(labels));
}

/** The state key of an agent's series: the agent, then its series' identity. */
export function stateKey(agent: string, family: string, labels: readonly string[]): string {
  return agent + '\u0000' + seriesKey(family, labels);
}

/** A copy of float64 bytes at any offset as an aligned Float64Array. */
function float64s(b: Uint8Array): Float64Array {
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + (b.byteLength & ~7)));
}

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
  /** Entries recorded since the last commit started, framed in place. */
  #pending = new LogBuffer();
  /** The buffer of the commit before, reused once that commit is done. */
  #spare: LogBuffer | undefined;
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
      const s = packr.unpack(fs.readFileSync(snap)) as SnapshotV1 | SnapshotV2;
      this.#gen = s.gen;
      for (const a of s.agents) this.#setAgent(a);
      if ('v' in s && s.v === 2) this.#loadColumns(s);
      else for (const [k, v] of (s as SnapshotV1).series) this.#put(k, v);
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
      if (buf[off + 8] === BIN_ENTRY) {
        this.#replayBinary(buf.subarray(off + 8, off + 8 + len));
        off += 8 + len;
        continue;
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

  #replayBinary(b: Buffer): void {
    let o = 2;
    const idLen = b.readUInt16LE(o);
    const id = b.toString('utf8', o + 2, o + 2 + idLen);
    o += 2 + idLen;
    const verLen = b.readUInt16LE(o);
    const version = b.toString('utf8', o + 2, o + 2 + verLen);
    o += 2 + verLen;
    const n = float64s(b.subarray(o, o + 8 * BIN_AGENT_NUMS));
    o += 8 * BIN_AGENT_NUMS;
    const a: AgentState = {
      id,
      epoch: n[0]!,
      high: n[1]!,
      recent: [],
      lastSeenMs: n[2]!,
      lastSentMs: n[3]!,
      version,
      backlogBytes: n[4]!,
      backlogBatches: n[5]!,
      droppedBatches: n[6]!,
      appliedBatches: n[7]!,
    };
    const seq = n[8]!;
    const prev = this.agents.get(id);
    let set = this.recentSets.get(id);
    if (!prev || !set || prev.epoch !== a.epoch) this.recentSets.set(id, (set = new Set()));
    set.add(seq);
    this.agents.set(id, a);
    const f = float64s(b.subarray(o));
    for (let i = 0; i + 2 < f.length; i += 3) {
      const st = this.#byId.get(f[i]!);
      if (!st) continue;
      st.epoch = a.epoch;
      st.seq = seq;
      st.last = f[i + 1]!;
      st.acc = f[i + 2]!;
    }
  }

  #loadColumns(s: SnapshotV2): void {
    const cols = float64s(s.cols);
    const lb = s.lens;
    const lens = new Uint32Array(lb.buffer.slice(lb.byteOffset, lb.byteOffset + (lb.byteLength & ~3)));
    let li = 0;
    let at = 0;
    for (let o = 0; o + SNAP_COLS <= cols.length; o += SNAP_COLS) {
      const agent = s.names[cols[o + 1]!]!;
      const fi = 3 * cols[o + 2]!;
      const family = s.fams[fi]!;
      const nl = cols[o + 7]!;
      const labels: string[] = new Array(nl);
      for (let j = 0; j < nl; j++) {
        const end = at + lens[li++]!;
        labels[j] = s.labels.slice(at, end);
        at = end;
      }
      const st: SeriesState = { id: cols[o]!, agent, family, type: s.fams[fi + 1] as MetricType, help: s.fams[fi + 2]!, labels, epoch: cols[o + 3]!, seq: cols[o + 4]!, last: cols[o + 5]!, acc: cols[o + 6]! };
      this.#put(stateKey(agent, family, labels), st);
    }
    for (const [k, v] of s.other) this.#put(k, v);
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
    // Steady state (every update a scalar of this batch, nothing new): the binary entry, written in place.
    let steady = full.length === 0;
    if (steady) {
      for (const st of updated) {
        if (!isScalarOf(st, epoch, seq)) {
          steady = false;
          break;
        }
      }
    }
    const log = this.#pending;
    const start = log.length;
    log.reserve(8);
    if (steady) writeBinaryEntry(log, a, seq, updated);
    else log.append(this.#packedEntry(a, seq, epoch, full, updated));
    const body = log.length - start - 8;
    log.buf.writeUInt32LE(body, start);
    log.buf.writeUInt32LE(crc32c(log.buf, start + 8, log.length), start + 4);
  }

  /** The msgpack entry of a batch that created series or updated distributions. */
  #packedEntry(a: AgentState, seq: number, epoch: number, full: Array<[string, SeriesState]>, updated: readonly SeriesState[]): Buffer {
    const upd: unknown[] = [];
    let sk: unknown[] | undefined;
    const u3 = new Float64Array(updated.length * 3);
    let n3 = 0;
    for (const st of updated) {
      if (isScalarOf(st, epoch, seq)) {
        u3[n3++] = st.id;
        u3[n3++] = st.last as number;
        u3[n3++] = st.acc as number;
        continue;
      }
      upd.push(st.id, st.epoch, st.seq, st.last, st.acc, st.quantiles ?? null);
      if (st.sketch !== undefined) (sk ??= []).push(st.id, st.sketch, st.sketchMs ?? 0);
    }
    // The applied-sequence window goes into snapshots only; a log entry carries just this batch's sequence.
    const entry: Entry = { agent: { ...a, recent: [] }, seq, full, upd };
    if (sk) entry.sk = sk;
    if (n3 > 0) entry.u3 = Buffer.from(u3.buffer, 0, n3 * 8);
    return packr.pack(entry);
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
    const pending = this.#pending;
    const waiters = this.#waiters;
    this.#pending = this.#spare ?? new LogBuffer();
    this.#spare = undefined;
    this.#waiters = [];
    this.#committing = (async () => {
      try {
        if (pending.length > 0) {
          const data = pending.buf.subarray(0, pending.length);
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
      pending.clear();
      this.#spare = pending;
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
    const body = packr.pack(this.#columns(gen));
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
    // Every log up to this generation is folded into the snapshot. Removed off the event loop (unlinking a large
    // file takes a while); one left behind by a crash is ignored and removed at the next open.
    for (const n of fs.readdirSync(this.dir)) if (/^log-\d+\.log$/.test(n) && Number(n.slice(4, -4)) <= gen) fs.rm(path.join(this.dir, n), { force: true }, () => undefined);
  }

  /** The format-2 snapshot: scalar series in columns, the rest as [key, state]. */
  #columns(gen: number): SnapshotV2 {
    const agentIdx = new Map<string, number>();
    const names: string[] = [];
    const famIdx = new Map<string, number>();
    const fams: string[] = [];
    const labels: string[] = [];
    const other: Array<[string, SeriesState]> = [];
    const cols = new Float64Array(this.series.size * SNAP_COLS);
    let lens = new Uint32Array(1024);
    let nl = 0;
    let o = 0;
    for (const [k, st] of this.series) {
      if (typeof st.last !== 'number' || typeof st.acc !== 'number' || (st.quantiles !== undefined && st.quantiles !== null) || st.sketch !== undefined) {
        other.push([k, st]);
        continue;
      }
      let ai = agentIdx.get(st.agent);
      if (ai === undefined) {
        agentIdx.set(st.agent, (ai = names.length));
        names.push(st.agent);
      }
      const fk = st.family + '\u0000' + st.type + '\u0000' + st.help;
      let fi = famIdx.get(fk);
      if (fi === undefined) {
        famIdx.set(fk, (fi = fams.length / 3));
        fams.push(st.family, st.type, st.help);
      }
      cols[o] = st.id;
      cols[o + 1] = ai;
      cols[o + 2] = fi;
      cols[o + 3] = st.epoch;
      cols[o + 4] = st.seq;
      cols[o + 5] = st.last;
      cols[o + 6] = st.acc;
      cols[o + 7] = st.labels.length;
      if (nl + st.labels.length > lens.length) {
        const grown = new Uint32Array(2 * (nl + st.labels.length));
        grown.set(lens);
        lens = grown;
      }
      for (const l of st.labels) {
        labels.push(l);
        lens[nl++] = l.length;
      }
      o += SNAP_COLS;
    }
    return { gen, v: 2, agents: [...this.agents.values()], names, fams, cols: Buffer.from(cols.buffer, 0, o * 8), labels: labels.join(''), lens: Buffer.from(lens.buffer, 0, nl * 4), other };
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

interface SnapshotV1 {
  gen: number;
  agents: AgentState[];
  series: Array<[string, SeriesState]>;
}

interface SnapshotV2 {
  gen: number;
  v: 2;
  agents: AgentState[];
  names: string[];
  fams: string[];
  cols: Uint8Array;
  /** Every label string of the rows, concatenated; `lens` holds their lengths (u32, UTF-16 code units). */
  labels: string;
  lens: Uint8Array;
  other: Array<[string, SeriesState]>;
}

/** Whether a series update is the plain scalar form of this batch (the binary entry's triples). */
function isScalarOf(st: SeriesState, epoch: number, seq: number): boolean {
  return typeof st.last === 'number' && typeof st.acc === 'number' && st.epoch === epoch && st.seq === seq && !st.quantiles;
}

/** A growable byte buffer the log entries of one commit are framed into. */
class LogBuffer {
  buf = Buffer.allocUnsafe(64 * 1024);
  length = 0;

  /** Makes room for `n` more bytes and advances over them (the caller fills them). */
  reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, at + n));
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.length = at + n;
    return at;
  }

  append(b: Uint8Array): void {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
  }

  /** Empties the buffer; one that grew past 4 MiB (a burst) is given back. */
  clear(): void {
    this.length = 0;
    if (this.buf.length > 4 << 20) this.buf = Buffer.allocUnsafe(64 * 1024);
  }
}

const AGENT_NUMS: Array<keyof AgentState> = ['epoch', 'high', 'lastSeenMs', 'lastSentMs', 'backlogBytes', 'backlogBatches', 'droppedBatches', 'appliedBatches'];

/** Writes the binary log entry of a batch that only updated scalar series (format in the module comment). */
function writeBinaryEntry(log: LogBuffer, a: AgentState, seq: number, updated: readonly SeriesState[]): void {
  const idLen = Buffer.byteLength(a.id);
  const verLen = Buffer.byteLength(a.version);
  let o = log.reserve(2 + 2 + idLen + 2 + verLen + 8 * BIN_AGENT_NUMS + 24 * updated.length);
  const b = log.buf;
  b[o] = BIN_ENTRY;
  b[o + 1] = 1;
  o += 2;
  b.writeUInt16LE(idLen, o);
  o += 2 + b.write(a.id, o + 2, 'utf8');
  b.writeUInt16LE(verLen, o);
  o += 2 + b.write(a.version, o + 2, 'utf8');
  // The float64s go through a typed array (one store each) and are copied in at once: the entry's offset in the
  // buffer is not 8-byte aligned, and Buffer#writeDoubleLE checks its arguments on every call.
  const n = BIN_AGENT_NUMS + 3 * updated.length;
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  const f = scratch;
  let i = 0;
  for (const k of AGENT_NUMS) f[i++] = a[k] as number;
  f[i++] = seq;
  for (const st of updated) {
    f[i++] = st.id;
    f[i++] = st.last as number;
    f[i++] = st.acc as number;
  }
  b.set(new Uint8Array(f.buffer, 0, 8 * n), o);
}

// The log and snapshot float64s are the platform's typed-array order; every platform Node supports here is little-endian.
if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) throw new Error('the aggregator state files need a little-endian platform');

/** Reused staging for writeBinaryEntry's float64s (grows to the largest batch seen). */
let scratch = new Float64Array(1024);

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

