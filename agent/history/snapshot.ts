/**
 * A history's contents as persist.ts writes them, and back: the held round times, and per series its chunks by
 * round index (numbered from the oldest held round).
 */
import type { Labels } from '../store/types';
import { type Chunk, type HSeries, keyOf, type SeriesTable } from './series-table';

export interface SnapshotSeries {
  readonly labels: Labels;
  readonly chunks: readonly { readonly firstRound: number; readonly count: number; readonly bytes: Uint8Array }[];
}
export interface HistorySnapshot {
  readonly roundTimesMs: Float64Array;
  readonly series: readonly SnapshotSeries[];
}

/** Every held round's time and every series' chunks (open ones copied), rounds numbered from the oldest held. */
export function snapshotOf(t: SeriesTable): HistorySnapshot {
  const first = t.rounds.first;
  const last = t.rounds.last;
  const roundTimesMs = new Float64Array(Math.max(0, last - first + 1));
  for (let r = first; r <= last; r++) roundTimesMs[r - first] = t.rounds.timeOf(r);
  const series: SnapshotSeries[] = [];
  for (const h of t.all()) {
    t.current(h);
    const open = h.head ? [{ firstRound: h.head.firstRound, count: h.head.enc.count, bytes: h.head.enc.finish() }] : [];
    const chunks = [...h.sealed, ...open].filter((c) => c.firstRound >= first && c.firstRound + c.count - 1 <= last).map((c) => ({ firstRound: c.firstRound - first, count: c.count, bytes: c.bytes }));
    if (chunks.length > 0) series.push({ labels: h.labels, chunks });
  }
  return { roundTimesMs, series };
}

/**
 * Loads a snapshot into an empty table (false, nothing done, when it already holds rounds): its rounds become the
 * first rounds, its chunks sealed chunks, and its series are not live (the next round writes no marker for them).
 * Rounds older than the retention and series past the bounds are left out; returns the series loaded.
 */
export function restoreInto(t: SeriesTable, snap: HistorySnapshot, nowMs: number, retentionMs: number): number | false {
  if (t.rounds.last >= 0) return false;
  const times = snap.roundTimesMs;
  let from = 0;
  while (from < times.length && (times[from]! < nowMs - retentionMs || times.length - from > t.rounds.capacity)) from++;
  for (let i = from; i < times.length; i++) if (t.rounds.push(times[i]!) < 0) return false;
  const sealed: { series: HSeries; chunk: Chunk }[] = [];
  let loaded = 0;
  for (const s of snap.series) {
    if (t.size >= t.maxSeries || t.bytes >= t.maxBytes) break;
    const chunks = s.chunks.filter((c) => c.firstRound >= from).map((c): Chunk => ({ firstRound: c.firstRound - from, count: c.count, bytes: c.bytes }));
    if (chunks.length === 0) continue;
    const labels: Record<string, string> = {};
    for (const n in s.labels) labels[n] = s.labels[n]!;
    const name = labels['__name__'] ?? '';
    const key = keyOf(labels);
    if (t.get(name, key)) continue;
    const h = t.add(labels, key, name);
    for (const chunk of chunks.sort((a, b) => a.firstRound - b.firstRound)) {
      t.loadSealed(h, chunk);
      sealed.push({ series: h, chunk });
    }
    h.lastRound = h.sealed[h.sealed.length - 1]!.firstRound + h.sealed[h.sealed.length - 1]!.count - 1;
    loaded++;
  }
  t.queueRestored(sealed);
  return loaded;
}
