/**
 * What the aggregator keeps about what it applied, per agent and per (agent, series): the model its state files
 * (state-log.ts, state-snapshot.ts) hold and the state store (state.ts) keeps in memory.
 *
 * Per agent: the epoch it is in, the highest sequence applied and the set of applied sequences in the last
 * `WINDOW` below it (anything older counts as applied: the agent's window of requests in flight is far smaller).
 * Per (agent, series): the epoch and sequence of the last value applied, that cumulative value (`last`) and the
 * total it contributed across epochs and resets (`acc`). Fleet-wide counters are the sum of `acc` over agents.
 */
import { Packr } from 'msgpackr';
import type { SketchJSON } from '../store/sketch';
import { labelKey } from '../store/store';
import type { Labels, MetricType } from '../store/types';

export const WINDOW = 4096;

/** Longest agent version string kept (it comes from the agent's batches). */
export const MAX_VERSION_CHARS = 128;

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

/** Flat [name, value, ...] labels as an object, with an optional extra label. */
export function labelsObject(flat: readonly string[], extra?: readonly [string, string]): Labels {
  const o: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
  if (extra) o[extra[0]] = extra[1];
  return o;
}

/** A merged series' identity: family and canonical label key (labels flat [name, value, ...]). */
export function seriesKey(family: string, labels: readonly string[]): string {
  // Labels already sorted by name, each name once (what agents send), join to the canonical key as they are: the
  // state's keys are derived again for every series on load. Anything else goes through an object, sorted.
  const n = labels.length;
  let sorted = (n & 1) === 0;
  for (let i = 0; sorted && i < n; i += 2) sorted = labels[i] !== '__proto__' && (i === 0 || labels[i - 2]! < labels[i]!);
  if (!sorted) return family + '\u0000' + labelKey(labelsObject(labels));
  return n === 0 ? family + '\u0000' : family + '\u0000' + labels.join('\u0000') + '\u0000';
}

/** The state key of an agent's series: the agent, then its series' identity (`seriesKey`). */
export function agentSeriesKey(agent: string, key: string): string {
  return agent + '\u0000' + key;
}

/** The state key of an agent's series from its family and labels. */
export function stateKey(agent: string, family: string, labels: readonly string[]): string {
  return agentSeriesKey(agent, seriesKey(family, labels));
}

/** msgpack options of the state files (log entries and snapshots), pinned. */
export const statePackr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false, bundleStrings: false, useFloat32: 0, mapsAsObjects: true });

/** A copy of float64 bytes at any offset as an aligned Float64Array. */
export function float64s(b: Uint8Array): Float64Array {
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + (b.byteLength & ~7)));
}

// The log and snapshot float64s are the platform's typed-array order; every platform Node supports here is little-endian.
if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) throw new Error('the aggregator state files need a little-endian platform');
