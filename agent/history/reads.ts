/**
 * The read side of the local history (HistoryReader in types.ts): which series a selector picks in a time window,
 * their label names and values, and their samples decoded from their chunks. A live series is brought up to the
 * newest round (its pending repeats written) before it is read, so a read sees the same samples as if every series
 * had been appended each round.
 */
import { labelKey } from '../store/store';
import type { Labels } from '../store/types';
import { CompiledMatcher, compileSelector, matchesAll } from './matchers';
import type { HSeries, SeriesTable } from './series-table';
import type { LabelMatcher, SeriesSamples } from './types';
import { decodeXor } from './xor-chunk';

export function select(t: SeriesTable, matchers: readonly LabelMatcher[], startMs: number, endMs: number): SeriesSamples[] {
  const compiled = compileSelector(matchers);
  const [rs, re] = roundWindow(t, startMs, endMs);
  const out: [string, SeriesSamples][] = [];
  if (rs > re) return [];
  for (const h of candidates(t, compiled)) {
    if (!matchesAll(compiled, h.labels)) continue;
    const samples = samplesOf(t, h, rs, re);
    if (samples) out.push([labelKey(h.labels), samples]);
  }
  return out.sort((a, b) => keyOrder(a[0], b[0])).map((x) => x[1]);
}

export function seriesLabels(t: SeriesTable, matchers: readonly LabelMatcher[], startMs: number, endMs: number): Labels[] {
  compileSelector(matchers);
  return [...inWindow(t, startMs, endMs, matchers)].map((h) => h.labels);
}

export function labelNames(t: SeriesTable, startMs: number, endMs: number, matchers?: readonly LabelMatcher[]): string[] {
  const names = new Set<string>();
  for (const h of inWindow(t, startMs, endMs, matchers)) for (const n of Object.keys(h.labels)) names.add(n);
  return [...names].sort(keyOrder);
}

export function labelValues(t: SeriesTable, name: string, startMs: number, endMs: number, matchers?: readonly LabelMatcher[]): string[] {
  const values = new Set<string>();
  for (const h of inWindow(t, startMs, endMs, matchers)) {
    const v = h.labels[name];
    if (v !== undefined) values.add(v);
  }
  return [...values].sort(keyOrder);
}

export function oldestMs(t: SeriesTable): number | undefined {
  let oldest = Infinity;
  for (const h of t.all()) {
    const first = h.sealed[0]?.firstRound ?? h.head?.firstRound;
    if (first === undefined) continue;
    const r = Math.max(first, t.rounds.first);
    if (t.rounds.held(r)) oldest = Math.min(oldest, t.rounds.timeOf(r));
  }
  return oldest === Infinity ? undefined : oldest;
}

/** The held rounds inside [startMs, endMs] as [first, last] (first > last when none). */
export function roundWindow(t: SeriesTable, startMs: number, endMs: number): [number, number] {
  if (t.rounds.last < 0 || Number.isNaN(startMs) || Number.isNaN(endMs)) return [0, -1];
  return [t.rounds.lowerBound(startMs), t.rounds.upperBound(endMs)];
}

function candidates(t: SeriesTable, compiled: readonly CompiledMatcher[]): Iterable<HSeries> {
  const byName = compiled.find((m) => m.name === '__name__' && m.type === '=');
  return byName ? (t.byName.get(byName.value)?.values() ?? []) : t.all();
}

function* inWindow(t: SeriesTable, startMs: number, endMs: number, matchers: readonly LabelMatcher[] | undefined): Iterable<HSeries> {
  const compiled = matchers ? compileSelector(matchers) : undefined;
  const [rs, re] = roundWindow(t, startMs, endMs);
  if (rs > re) return;
  for (const h of compiled ? candidates(t, compiled) : t.all()) {
    if (compiled && !matchesAll(compiled, h.labels)) continue;
    if (chunksOf(t, h).some((c) => c.firstRound <= re && c.firstRound + c.count - 1 >= rs)) yield h;
  }
}

/** The series named `family`, each brought up to the newest round. */
export function* named(t: SeriesTable, family: string): Iterable<HSeries> {
  for (const h of t.byName.get(family)?.values() ?? []) yield t.current(h);
}

/** A series' chunks, sealed then open (its open chunk's bytes as a view), after it is brought up to date. */
export function chunksOf(t: SeriesTable, h: HSeries): { firstRound: number; count: number; bytes: Uint8Array }[] {
  t.current(h);
  const out: { firstRound: number; count: number; bytes: Uint8Array }[] = [...h.sealed];
  if (h.head) out.push({ firstRound: h.head.firstRound, count: h.head.enc.count, bytes: h.head.enc.view() });
  return out;
}

function samplesOf(t: SeriesTable, h: HSeries, rs: number, re: number): SeriesSamples | undefined {
  const parts: [Float64Array, number, number, number][] = [];
  let n = 0;
  for (const c of chunksOf(t, h)) {
    const from = Math.max(rs, c.firstRound);
    const to = Math.min(re, c.firstRound + c.count - 1);
    if (from > to) continue;
    parts.push([decodeXor(c.bytes, to - c.firstRound + 1), c.firstRound, from, to]);
    n += to - from + 1;
  }
  if (n === 0) return undefined;
  const timestampsMs = new Float64Array(n);
  const values = new Float64Array(n);
  let i = 0;
  for (const [decoded, first, from, to] of parts) {
    values.set(decoded.subarray(from - first, to - first + 1), i); // a copy of the bits: markers stay exact
    for (let r = from; r <= to; r++, i++) timestampsMs[i] = t.rounds.timeOf(r);
  }
  return { labels: h.labels, timestampsMs, values };
}

/** Plain code-unit order (the order Prometheus sorts label names, values and label sets in). */
function keyOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
