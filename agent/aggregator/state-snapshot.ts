/**
 * The aggregator's state snapshot format. `snapshot` in the state directory, written in slices and replaced atomically
 * by the state store (state.ts, state-snapshot-file.ts).
 *
 * Format 3 (written): the 8 bytes c1 4f 53 4e 41 50 00 03 (0xc1 is never the first byte of a msgpack document), then
 * frames [u32 length][u32 CRC-32C][kind byte][msgpack], in order:
 * - HEAD {gen}: the log generation the snapshot covers;
 * - ROWS {names, fams, cols, labels, lens, other}, any number: a slice of the series. Scalar series (counters,
 *   gauges) in columns: `cols` is float64 rows [id, agent index (into `names`), family index (into `fams`, flat [name,
 *   type, help, ...]), epoch, seq, last, acc, label count]; `labels` is the slice's label strings concatenated and
 *   `lens` their lengths (u32, UTF-16 code units); the keys are derived again on load. Distributions go in `other` as
 *   [key, state] pairs. Indices are local to the frame, so each frame decodes alone;
 * - AGENTS {agents}, any number: agent states, each with its applied sequences above `high - WINDOW` as runs
 *   `runs` = flat [first, last, ...] instead of `recent`;
 * - END {series, agents}: the counts written, so a truncated file is told from a whole one.
 * All integers and floats little-endian. Formats 1 ({gen, agents, series: [key, state][]}) and 2 ({gen, v: 2, ...},
 * one msgpack document of the columns above for the whole state) still load.
 */
import type { MetricType } from '../store/types';
import { crc32c } from '../wire/crc32c';
import { AgentState, float64s, SeriesState, stateKey, statePackr, WINDOW } from './state-model';

export const SNAPSHOT_MAGIC = Buffer.from([0xc1, 0x4f, 0x53, 0x4e, 0x41, 0x50, 0x00, 0x03]);
export const FRAME_HEAD = 1;
export const FRAME_ROWS = 2;
export const FRAME_AGENTS = 3;
export const FRAME_END = 4;
/** Largest frame a reader accepts (a slice is far smaller; a larger length means a damaged file). */
export const MAX_FRAME_BYTES = 256 << 20;

/** Columns of a scalar series row. */
const SNAP_COLS = 8;

interface SnapshotV1 {
  gen: number;
  agents: AgentState[];
  series: Array<[string, SeriesState]>;
}

interface Rows {
  names: string[];
  fams: string[];
  cols: Uint8Array;
  /** Every label string of the rows, concatenated; `lens` holds their lengths (u32, UTF-16 code units). */
  labels: string;
  lens: Uint8Array;
  other: Array<[string, SeriesState]>;
}

interface SnapshotV2 extends Rows {
  gen: number;
  v: 2;
  agents: AgentState[];
}

/** An agent as format 3 stores it: `recent` empty, the applied sequences as runs. */
type StoredAgent = AgentState & { runs?: number[] };

/** How much one slice may hold: scalar rows count 1, other states 8 + the numbers they carry. */
export interface SliceBudget {
  weight: number;
}

/** One frame: [u32 length][u32 CRC-32C][kind][body]. */
export function frame(kind: number, body: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(9 + body.length);
  b.writeUInt32LE(1 + body.length, 0);
  b[8] = kind;
  b.set(body, 9);
  b.writeUInt32LE(crc32c(b, 8, b.length), 4);
  return b;
}

export function headFrame(gen: number): Buffer {
  return frame(FRAME_HEAD, statePackr.pack({ gen }));
}

export function endFrame(series: number, agents: number): Buffer {
  return frame(FRAME_END, statePackr.pack({ series, agents }));
}

function otherWeight(st: SeriesState): number {
  let w = 8 + (st.quantiles?.length ?? 0);
  const acc = st.acc as { buckets?: number[] | null };
  if (acc && typeof acc === 'object' && acc.buckets) w += 2 * acc.buckets.length;
  if (st.sketch) w += 2 * (st.sketch.p.length + st.sketch.m.length);
  return w;
}

/**
 * Encodes the next series of `it` (a live iterator over the state) into one ROWS frame of at most `maxWeight`, with
 * how many series it holds; undefined once the iterator is done.
 */
export function rowsFrame(it: Iterator<[string, SeriesState]>, maxWeight: number): { frame: Buffer; series: number } | undefined {
  const agentIdx = new Map<string, number>();
  const names: string[] = [];
  const famIdx = new Map<string, number>();
  const fams: string[] = [];
  const labels: string[] = [];
  const other: Array<[string, SeriesState]> = [];
  let cols = new Float64Array(SNAP_COLS * 256);
  let lens = new Uint32Array(1024);
  let nl = 0;
  let o = 0;
  let weight = 0;
  let n = 0;
  while (weight < maxWeight) {
    const r = it.next();
    if (r.done) break;
    const [k, st] = r.value;
    n++;
    if (typeof st.last !== 'number' || typeof st.acc !== 'number' || (st.quantiles !== undefined && st.quantiles !== null) || st.sketch !== undefined) {
      other.push([k, st]);
      weight += otherWeight(st);
      continue;
    }
    weight++;
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
    if (o + SNAP_COLS > cols.length) {
      const grown = new Float64Array(2 * cols.length);
      grown.set(cols);
      cols = grown;
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
  if (n === 0) return undefined;
  const rows: Rows = { names, fams, cols: Buffer.from(cols.buffer, 0, o * 8), labels: labels.join(''), lens: Buffer.from(lens.buffer, 0, nl * 4), other };
  return { frame: frame(FRAME_ROWS, statePackr.pack(rows)), series: n };
}

/** Applied sequences above `high - WINDOW` (anything lower counts as applied anyway) as sorted runs [first, last, ...]. */
export function seqRuns(high: number, recent: Iterable<number>): number[] {
  const seqs: number[] = [];
  for (const s of recent) if (s > high - WINDOW) seqs.push(s);
  seqs.sort((a, b) => a - b);
  const runs: number[] = [];
  for (const s of seqs) {
    if (runs.length > 0 && runs[runs.length - 1] === s - 1) runs[runs.length - 1] = s;
    else if (runs.length === 0 || runs[runs.length - 1]! < s) runs.push(s, s);
  }
  return runs;
}

/** The sequences of `runs` above `high - WINDOW` (at most WINDOW of them, whatever the file says). */
function expandRuns(high: number, runs: unknown): number[] {
  const out: number[] = [];
  if (!Array.isArray(runs)) return out;
  for (let i = 0; i + 1 < runs.length && out.length < WINDOW; i += 2) {
    const first = Math.max(Number(runs[i]), high - WINDOW + 1);
    const last = Math.min(Number(runs[i + 1]), high);
    for (let s = first; s <= last && out.length < WINDOW; s++) out.push(s);
  }
  return out;
}

/** One AGENTS frame of the given agents, their applied sequences taken from `recentOf`. */
export function agentsFrame(agents: readonly AgentState[], recentOf: (id: string) => Iterable<number>): Buffer {
  const stored: StoredAgent[] = agents.map((a) => ({ ...a, recent: [], runs: seqRuns(a.high, recentOf(a.id)) }));
  return frame(FRAME_AGENTS, statePackr.pack({ agents: stored }));
}

/** What a snapshot holds besides its series. */
export interface SnapshotMeta {
  gen: number;
  agents: AgentState[];
}

/** Reads one format-3 frame's body (kind byte first) into `into`; returns whether it was the END frame. */
export function readFrame(body: Buffer, into: SnapshotMeta & { series: number }, put: (key: string, st: SeriesState) => void): boolean {
  const doc = statePackr.unpack(body.subarray(1)) as Record<string, unknown>;
  switch (body[0]) {
    case FRAME_HEAD:
      into.gen = doc.gen as number;
      return false;
    case FRAME_ROWS:
      into.series += readRows(doc as unknown as Rows, put);
      return false;
    case FRAME_AGENTS:
      for (const a of doc.agents as StoredAgent[]) {
        const { runs, ...agent } = a;
        agent.recent = expandRuns(agent.high, runs);
        into.agents.push(agent);
      }
      return false;
    case FRAME_END:
      if (doc.series !== into.series || doc.agents !== into.agents.length)
        throw new Error(`snapshot holds ${into.series} series and ${into.agents.length} agents, its end says ${String(doc.series)} and ${String(doc.agents)}`);
      return true;
    default:
      throw new Error(`snapshot frame of unknown kind ${String(body[0])}`);
  }
}

/** Reads a format-1 or format-2 snapshot (one msgpack document): its generation and agents, each series handed to `put`. */
export function readLegacySnapshot(buf: Buffer, put: (key: string, st: SeriesState) => void): SnapshotMeta {
  const s = statePackr.unpack(buf) as SnapshotV1 | SnapshotV2;
  if ('v' in s && s.v === 2) readRows(s, put);
  else for (const [k, v] of (s as SnapshotV1).series) put(k, v);
  return { gen: s.gen, agents: s.agents };
}

function readRows(s: Rows, put: (key: string, st: SeriesState) => void): number {
  const cols = float64s(s.cols);
  const lb = s.lens;
  const lens = new Uint32Array(lb.buffer.slice(lb.byteOffset, lb.byteOffset + (lb.byteLength & ~3)));
  let li = 0;
  let at = 0;
  let n = 0;
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
    const st: SeriesState = {
      id: cols[o]!,
      agent,
      family,
      type: s.fams[fi + 1] as MetricType,
      help: s.fams[fi + 2]!,
      labels,
      epoch: cols[o + 3]!,
      seq: cols[o + 4]!,
      last: cols[o + 5]!,
      acc: cols[o + 6]!,
    };
    put(stateKey(agent, family, labels), st);
    n++;
  }
  for (const [k, v] of s.other) put(k, v);
  return n + s.other.length;
}
