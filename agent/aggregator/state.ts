/**
 * The aggregator's durable state store: the model of state-model.ts kept in memory, made durable in its state
 * directory as a snapshot (state-snapshot.ts) and the logs of what was applied since (state-log.ts), so a restart
 * neither loses totals nor applies a batch twice. `open` loads the snapshot frame by frame and replays the logs;
 * `record` marks a batch applied and queues its log entry; `commit` resolves once everything recorded is fdatasync'd
 * (group commit: one sync for the batches of a tick), and a batch is acknowledged only after that.
 *
 * `snapshot` folds the logs into a new snapshot without stopping ingest: it rotates the log (entries from then on go
 * to `log-<gen + 1>.log`), writes the state in slices between turns of the event loop (state-snapshot-file.ts), waits
 * until everything recorded so far is durable, renames the snapshot into place and removes the logs up to `gen`.
 * Replaying a log entry overwrites, so the logs after a snapshot replay correctly over a snapshot taken while the
 * state changed. (Nothing is ever removed from the state; a removal would need its own log entry to stay sound.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { syncDir } from '../core/fs-sync';
import type { SketchJSON } from '../store/sketch';
import { appendEntry, appendForget, LogBuffer, LogEntry, readLog, UPD } from './state-log';
import { AgentState, SeriesState, stateKey, WINDOW } from './state-model';
import { readSnapshotFile, SnapshotStats, writeSnapshotFile } from './state-snapshot-file';

/** Default work per snapshot slice (series rows; see SliceBudget): a few milliseconds of the event loop. */
export const SNAPSHOT_SLICE_WEIGHT = 4096;

const LOG_NAME = /^log-(\d+)\.log$/;

function logGens(dir: string): number[] {
  const gens: number[] = [];
  for (const n of fs.readdirSync(dir)) {
    const m = LOG_NAME.exec(n);
    if (m) gens.push(Number(m[1]));
  }
  return gens.sort((a, b) => a - b);
}

export class StateStore {
  readonly dir: string;
  readonly agents = new Map<string, AgentState>();
  readonly recentSets = new Map<string, Set<number>>();
  readonly series = new Map<string, SeriesState>();
  /** The series by id while logs are replayed (their updates name series by id); dropped after open. */
  #byId: SeriesState[] | undefined;
  #nextId = 1;
  /** The log new entries go to: `log-<logGen>.log` (its entries come after every snapshot of a lower generation). */
  #logGen = 1;
  #logFd: number | undefined;
  /** The generation of the open log file (behind #logGen after a rotation, until the next flush opens the new one). */
  #logFdGen = 0;
  #logBytes = 0;
  /** Whether anything was recorded (or replayed) since the last snapshot's rotation. */
  #changed = false;
  #snapshotting: Promise<SnapshotStats | undefined> | undefined;
  readonly #sliceWeight: number;
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

  constructor(dir: string, commitMs: number, opts: { snapshotSliceWeight?: number } = {}) {
    this.dir = dir;
    this.#commitMs = commitMs;
    this.#sliceWeight = opts.snapshotSliceWeight ?? SNAPSHOT_SLICE_WEIGHT;
  }

  /**
   * Loads the snapshot and replays the logs after it (synchronously: nothing is served before). Writes nothing but
   * removes logs the snapshot covers; the next `snapshot` folds the replayed logs in.
   */
  open(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const snap = path.join(this.dir, 'snapshot');
    let gen = 0;
    if (fs.existsSync(snap)) {
      const s = readSnapshotFile(snap, (k, st) => this.#put(k, st));
      gen = s.gen;
      for (const a of s.agents) this.#setAgent(a);
    }
    let last = gen;
    for (const g of logGens(this.dir)) {
      const file = path.join(this.dir, `log-${g}.log`);
      if (g <= gen) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (!this.#byId) {
        this.#byId = [];
        for (const st of this.series.values()) this.#byId[st.id] = st;
      }
      this.#replay(file);
      this.#changed = true;
      last = g;
    }
    this.#byId = undefined;
    // A fresh log after every one replayed: they stay as they are until a snapshot covers them.
    this.#logGen = last + 1;
  }

  #replay(file: string): void {
    if (
      readLog(
        fs.readFileSync(file),
        (e) => this.#apply(e),
        (ids) => this.#dropAgents(new Set(ids)),
      )
    )
      this.tornEntries++;
  }

  /**
   * The agents and every series of theirs leave the state: `states`, when the caller knows them, are removed by key;
   * otherwise (a replay) the series are found by a scan.
   */
  #dropAgents(ids: ReadonlySet<string>, states?: readonly SeriesState[]): void {
    for (const id of ids) {
      this.agents.delete(id);
      this.recentSets.delete(id);
    }
    let scan = states === undefined;
    for (const st of states ?? []) {
      const k = stateKey(st.agent, st.family, st.labels);
      if (this.series.get(k) === st) this.series.delete(k);
      else scan = true; // not under the key its family and labels give (none should be)
    }
    if (scan) for (const [k, st] of this.series) if (ids.has(st.agent)) this.series.delete(k);
  }

  /**
   * Forgets agents: their records, their applied sequences and their series `states` (which the merger handed back)
   * leave the state, and an entry in the log says so; `commit()` makes it durable. An agent forgotten that reports
   * again starts afresh.
   */
  forget(agents: readonly string[], states: readonly SeriesState[]): void {
    if (agents.length === 0) return;
    this.#dropAgents(new Set(agents), states);
    this.#changed = true;
    appendForget(this.#pending, agents);
  }

  /** Applies one log entry read back (replay overwrites, so an entry applied twice changes nothing). */
  #apply(e: LogEntry): void {
    const a = e.agent;
    const prev = this.agents.get(a.id);
    let set = this.recentSets.get(a.id);
    if (!prev || !set || prev.epoch !== a.epoch) this.recentSets.set(a.id, (set = new Set()));
    set.add(e.seq);
    this.agents.set(a.id, a);
    const byId = this.#byId!;
    for (const [k, v] of e.full) {
      this.#put(k, v);
      byId[v.id] = v;
    }
    for (let i = 0; i < e.upd.length; i += UPD) {
      const st = byId[e.upd[i] as number];
      if (!st) continue;
      st.epoch = e.upd[i + 1] as number;
      st.seq = e.upd[i + 2] as number;
      st.last = e.upd[i + 3] as SeriesState['last'];
      st.acc = e.upd[i + 4] as SeriesState['acc'];
      st.quantiles = e.upd[i + 5] as number[] | null;
    }
    const f = e.u3;
    if (f) {
      for (let i = 0; i + 2 < f.length; i += 3) {
        const st = byId[f[i]!];
        if (!st) continue;
        st.epoch = a.epoch;
        st.seq = e.seq;
        st.last = f[i + 1]!;
        st.acc = f[i + 2]!;
      }
    }
    const sk = e.sk;
    for (let i = 0; i < sk.length; i += 3) {
      const st = byId[sk[i] as number];
      if (!st) continue;
      st.sketch = sk[i + 1] as SketchJSON | null;
      st.sketchMs = sk[i + 2] as number;
    }
  }

  #put(key: string, st: SeriesState): void {
    this.series.set(key, st);
    if (st.id >= this.#nextId) this.#nextId = st.id + 1;
  }

  /** A fresh id for a series new to the state. */
  nextId(): number {
    return this.#nextId++;
  }

  /** Adds a series state created by the merger (the log entry carries it in full). */
  add(key: string, st: SeriesState): void {
    this.#put(key, st);
    this.#changed = true;
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
    this.#changed = true;
    appendEntry(this.#pending, a, seq, epoch, full, updated);
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
          if (this.#logFd === undefined || this.#logFdGen !== this.#logGen) this.#openLog();
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

  /**
   * Folds the logs into a new snapshot, written in slices while ingest goes on (see the module comment). Resolves
   * with what it took once the snapshot is durable, undefined when nothing changed since the last one; a snapshot
   * already being written is awaited instead of starting another.
   */
  snapshot(): Promise<SnapshotStats | undefined> {
    this.#snapshotting ??= this.#writeSnapshot().finally(() => (this.#snapshotting = undefined));
    return this.#snapshotting;
  }

  async #writeSnapshot(): Promise<SnapshotStats | undefined> {
    if (!this.#changed) return undefined;
    // Rotation: entries recorded from now on go to the next log; this snapshot covers every log up to `gen`.
    const gen = this.#logGen;
    this.#logGen = gen + 1;
    this.#changed = false;
    try {
      const stats = await writeSnapshotFile(this.dir, {
        gen,
        agents: this.agents,
        recentOf: (id) => this.recentSets.get(id),
        series: this.series,
        sliceWeight: this.#sliceWeight,
        // Series taken into the snapshot may carry batches whose entries are not on disk yet: they must be before
        // the snapshot replaces the old one, or a crash would keep a batch its agent was never told was applied.
        beforeRename: () => this.commit(),
      });
      // Removed off the event loop (unlinking a large file takes a while); one left behind by a crash is removed at
      // the next open.
      for (const g of logGens(this.dir)) if (g <= gen) fs.rm(path.join(this.dir, `log-${g}.log`), { force: true }, () => undefined);
      return stats;
    } catch (err) {
      // The logs stay (the next snapshot covers them too); so does the change.
      this.#changed = true;
      throw err;
    }
  }

  #openLog(): void {
    if (this.#logFd !== undefined) fs.closeSync(this.#logFd);
    this.#logFd = fs.openSync(path.join(this.dir, `log-${this.#logGen}.log`), 'a', 0o600);
    this.#logFdGen = this.#logGen;
    this.#logBytes = 0;
    syncDir(this.dir);
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#snapshotting?.catch(() => undefined);
    while (this.#committing) await this.#committing;
    await this.#flush();
    try {
      await this.snapshot();
    } catch {
      /* the logs hold everything; the next start replays them */
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
