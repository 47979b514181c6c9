/**
 * The aggregator's state log: `log-<gen>.log` in the state directory holds the entries appended after snapshot
 * `gen - 1` (state-snapshot.ts), each framed as [u32 length][u32 CRC-32C][entry]. An entry is the new state of the
 * agent and of every series one batch changed (replay = overwrite, so it is idempotent); a torn tail is ignored.
 * Two entry forms:
 * - a batch that only updated scalar series (the steady state) is binary: 0xc1 (a byte msgpack never uses), 1 (form
 *   version), u16 + agent id (UTF-8), u16 + agent version, float64 × 9 [epoch, high, lastSeenMs, lastSentMs,
 *   backlogBytes, backlogBatches, droppedBatches, appliedBatches, seq], then float64 triples [id, last, acc] (epoch
 *   and seq are the batch's);
 * - anything else is a msgpack map {agent, seq, full, upd, u3?, sk?}: series new to the state in full, distribution
 *   updates flat in `upd`, scalar updates as float64 triples in `u3`, and the latest sketch of sketch-bearing
 *   summaries in `sk` (flat [id, sketch|null, received ms, ...]).
 * A third form is not a batch: agents forgotten (aggregator.agent_retention), binary: 0xc1, 2, u32 count, then per
 * agent u16 + id (UTF-8). Replay drops those agents and their series from the state.
 * All integers and floats little-endian.
 */
import { crc32c } from '../wire/crc32c';
import { AgentState, float64s, SeriesState, statePackr } from './state-model';

/** One applied batch as a msgpack entry: the agent's state, series new to the state in full, the others as updates. */
interface PackedEntry {
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

/** A log entry as read back, whichever its form. */
export interface LogEntry {
  /** The agent's state (its `recent` empty: the caller rebuilds it from `seq`). */
  agent: AgentState;
  seq: number;
  full: Array<[string, SeriesState]>;
  /** Flat [id, epoch, seq, last, acc, quantiles, ...]. */
  upd: unknown[];
  /** Scalar updates: [id, last, acc] triples at the agent's epoch and `seq`. */
  u3: Float64Array | undefined;
  /** Flat [id, sketch|null, sketchMs, ...]. */
  sk: unknown[];
}

/** Fields per update in `upd`. */
export const UPD = 6;
/** First byte of a binary log entry (0xc1 is never used by msgpack, so it cannot start a msgpack entry). */
const BIN_ENTRY = 0xc1;
/** The second byte of the binary entry that forgets agents (a batch's is 1). */
const FORGET_FORM = 2;
const BIN_AGENT_NUMS = 9;
const AGENT_NUMS: Array<keyof AgentState> = ['epoch', 'high', 'lastSeenMs', 'lastSentMs', 'backlogBytes', 'backlogBatches', 'droppedBatches', 'appliedBatches'];

/** A growable byte buffer the log entries of one commit are framed into. */
export class LogBuffer {
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

/** Frames the entry of one applied batch into `log`: binary when it only updated scalars of this batch, else msgpack. */
export function appendEntry(log: LogBuffer, a: AgentState, seq: number, epoch: number, full: ReadonlyArray<[string, SeriesState]>, updated: readonly SeriesState[]): void {
  let steady = full.length === 0;
  if (steady) {
    for (const st of updated) {
      if (!isScalarOf(st, epoch, seq)) {
        steady = false;
        break;
      }
    }
  }
  const start = log.length;
  log.reserve(8);
  if (steady) writeBinaryEntry(log, a, seq, updated);
  else log.append(packedEntry(a, seq, epoch, full, updated));
  const body = log.length - start - 8;
  log.buf.writeUInt32LE(body, start);
  log.buf.writeUInt32LE(crc32c(log.buf, start + 8, log.length), start + 4);
}

/** Frames the entry that forgets `agents` (their series with them) into `log`. */
export function appendForget(log: LogBuffer, agents: readonly string[]): void {
  const ids = agents.map((a) => Buffer.from(a, 'utf8'));
  const start = log.length;
  let o = log.reserve(8 + 2 + 4 + ids.reduce((n, b) => n + 2 + b.length, 0));
  const b = log.buf;
  o += 8;
  b[o] = BIN_ENTRY;
  b[o + 1] = FORGET_FORM;
  b.writeUInt32LE(ids.length, o + 2);
  o += 6;
  for (const id of ids) {
    b.writeUInt16LE(id.length, o);
    b.set(id, o + 2);
    o += 2 + id.length;
  }
  b.writeUInt32LE(log.length - start - 8, start);
  b.writeUInt32LE(crc32c(b, start + 8, log.length), start + 4);
}

/**
 * Reads every whole entry of a log file's bytes in order (a batch's to `apply`, a forgetting's to `forget`); returns
 * whether it ended in a torn entry.
 */
export function readLog(buf: Buffer, apply: (e: LogEntry) => void, forget: (agents: string[]) => void = () => undefined): boolean {
  let off = 0;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32LE(off);
    const crc = buf.readUInt32LE(off + 4);
    if (off + 8 + len > buf.length || crc32c(buf, off + 8, off + 8 + len) !== crc) return true;
    const body = buf.subarray(off + 8, off + 8 + len);
    if (body[0] !== BIN_ENTRY) apply(readPackedEntry(body));
    else if (body[1] === FORGET_FORM) forget(readForget(body));
    else apply(readBinaryEntry(body));
    off += 8 + len;
  }
  return false;
}

function readForget(b: Buffer): string[] {
  const n = b.readUInt32LE(2);
  const ids: string[] = [];
  let o = 6;
  for (let i = 0; i < n; i++) {
    const len = b.readUInt16LE(o);
    ids.push(b.toString('utf8', o + 2, o + 2 + len));
    o += 2 + len;
  }
  return ids;
}

function readPackedEntry(b: Buffer): LogEntry {
  const e = statePackr.unpack(b) as PackedEntry;
  return { agent: e.agent, seq: e.seq, full: e.full, upd: e.upd, u3: e.u3 ? float64s(e.u3) : undefined, sk: e.sk ?? [] };
}

function readBinaryEntry(b: Buffer): LogEntry {
  let o = 2;
  const idLen = b.readUInt16LE(o);
  const id = b.toString('utf8', o + 2, o + 2 + idLen);
  o += 2 + idLen;
  const verLen = b.readUInt16LE(o);
  const version = b.toString('utf8', o + 2, o + 2 + verLen);
  o += 2 + verLen;
  const n = float64s(b.subarray(o, o + 8 * BIN_AGENT_NUMS));
  o += 8 * BIN_AGENT_NUMS;
  const agent: AgentState = {
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
  return { agent, seq: n[8]!, full: [], upd: [], u3: float64s(b.subarray(o)), sk: [] };
}

/** The msgpack entry of a batch that created series or updated distributions. */
function packedEntry(a: AgentState, seq: number, epoch: number, full: ReadonlyArray<[string, SeriesState]>, updated: readonly SeriesState[]): Buffer {
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
  const entry: PackedEntry = { agent: { ...a, recent: [] }, seq, full: full as Array<[string, SeriesState]>, upd };
  if (sk) entry.sk = sk;
  if (n3 > 0) entry.u3 = Buffer.from(u3.buffer, 0, n3 * 8);
  return statePackr.pack(entry);
}

/** Whether a series update is the plain scalar form of this batch (the binary entry's triples). */
function isScalarOf(st: SeriesState, epoch: number, seq: number): boolean {
  return typeof st.last === 'number' && typeof st.acc === 'number' && st.epoch === epoch && st.seq === seq && !st.quantiles;
}

/** Reused staging for writeBinaryEntry's float64s (grows to the largest batch seen). */
let scratch = new Float64Array(1024);

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
