/**
 * The aggregator's state snapshot: `snapshot` in the state directory, msgpack
 * {gen, v: 2, agents, names, fams, cols, labels, lens, other}, replaced atomically by the state store (state.ts).
 * Scalar series (counters, gauges) are stored in columns: `cols` is little-endian float64 rows [id, agent index (into
 * `names`), family index (into `fams`, flat [name, type, help, ...]), epoch, seq, last, acc, label count]; `labels`
 * is every row's label strings concatenated in order and `lens` their lengths (u32, UTF-16 code units); the keys are
 * derived again on load. Distributions go in `other` as [key, state] pairs. (Format 1, {gen, agents, series:
 * [key, state][]}, still loads.)
 */
import type { MetricType } from '../store/types';
import { AgentState, float64s, SeriesState, stateKey, statePackr } from './state-model';

/** Columns of a scalar series row in a format-2 snapshot. */
const SNAP_COLS = 8;

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

/** Reads a snapshot's bytes: its generation and agents, each series handed to `put` with its state key. */
export function readSnapshot(buf: Buffer, put: (key: string, st: SeriesState) => void): { gen: number; agents: AgentState[] } {
  const s = statePackr.unpack(buf) as SnapshotV1 | SnapshotV2;
  if ('v' in s && s.v === 2) readColumns(s, put);
  else for (const [k, v] of (s as SnapshotV1).series) put(k, v);
  return { gen: s.gen, agents: s.agents };
}

function readColumns(s: SnapshotV2, put: (key: string, st: SeriesState) => void): void {
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
  }
  for (const [k, v] of s.other) put(k, v);
}

/** The bytes of a format-2 snapshot: scalar series in columns, the rest as [key, state]. */
export function encodeSnapshot(gen: number, agents: Iterable<AgentState>, series: ReadonlyMap<string, SeriesState>): Buffer {
  const agentIdx = new Map<string, number>();
  const names: string[] = [];
  const famIdx = new Map<string, number>();
  const fams: string[] = [];
  const labels: string[] = [];
  const other: Array<[string, SeriesState]> = [];
  const cols = new Float64Array(series.size * SNAP_COLS);
  let lens = new Uint32Array(1024);
  let nl = 0;
  let o = 0;
  for (const [k, st] of series) {
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
  const snap: SnapshotV2 = { gen, v: 2, agents: [...agents], names, fams, cols: Buffer.from(cols.buffer, 0, o * 8), labels: labels.join(''), lens: Buffer.from(lens.buffer, 0, nl * 4), other };
  return statePackr.pack(snap);
}
