/**
 * Ingest: one frame from an agent checked, decoded and applied once. The checksum and payload are checked, the
 * definitions it carries go into the interning tables, a batch already applied is answered as a duplicate (by agent,
 * epoch and sequence), and a new one is merged value by value, its agent's bookkeeping updated and its log entry
 * recorded. Nothing is durable on return: the caller commits the state store before it answers.
 */
import { decompressSync } from '../wire/codec';
import { Frame, frameIntact, FrameKind } from '../wire/frame';
import type { AckStatus } from '../wire/ingest';
import { BatchPayload, decodePayload, DistValue, PayloadError, PayloadLimits } from '../wire/payload';
import { HandoverIn, parseHandover } from './handover';
import { inflatePayload } from './inflate';
import { noteBatch } from './agents';
import { Grant, grantsAgent } from './auth';
import { Merger, ResolvedSeries } from './merge';
import { validateSketch } from './sketch-input';
import type { StateStore } from './state';
import { agentSeriesKey, DistState, SeriesState } from './state-model';
import { Tables } from './tables';

export interface IngestOptions {
  maxDecompressedBytes: number;
  /** Most bytes a payload may inflate to per compressed byte (decompression bombs stop early, whatever the limit). */
  maxCompressionRatio: number;
  maxAgents: number;
  maxSeries: number;
  /** Largest step of a sequence number above the highest applied in its epoch (or above 0 in a new epoch). */
  maxSequenceJump: number;
  /** How far ahead of this host's clock an epoch (the agent's start time, ms) may be. */
  maxEpochAheadMs: number;
  /** Bounds of a decoded payload (values, string bytes, depth, labels), checked while it is decoded. */
  limits: PayloadLimits;
  /** Write the merged store after every batch (`immediate`) or when it is read (`on-read`). */
  storeWrites: 'on-read' | 'immediate';
  /** Samples applied, and samples skipped because a newer value of their series was applied already. */
  samples: { inc(n: number): void };
  skipped: { inc(n: number): void };
  /** Samples left out because they would poison a merge: non-finite, or of another type than their family. */
  refusedSamples: { inc(labels: { reason: string }, n: number): void };
  /** How long a series definition no batch names is kept (ms; tables.ts). */
  definitionIdleMs?: number;
  /** Definitions forgotten because no batch named them for `definitionIdleMs`. */
  definitionsForgotten?: { inc(n: number): void };
  /** The clock definitions are aged by (tests). */
  nowMs?: () => number;
}

/**
 * Whether a value may be merged into its series. Counters add up fleet-wide, so a NaN or an infinity would poison
 * the total for every agent (and stay in the state): refused. Histograms and summaries: count, sum and bucket counts
 * add up likewise and must be finite; bucket bounds may be infinite but not NaN; quantile values may be NaN (an idle
 * summary's are). Gauges and untyped values are kept per agent and may be anything, NaN included, as in Prometheus.
 * A scalar for a distribution family, or a distribution for a scalar one, is a type mismatch.
 */
export function sampleProblem(type: string, value: number | DistValue): 'non_finite' | 'type_mismatch' | undefined {
  const dist = type === 'histogram' || type === 'summary';
  if (typeof value === 'number') {
    if (dist) return 'type_mismatch';
    return type === 'counter' && !Number.isFinite(value) ? 'non_finite' : undefined;
  }
  if (!dist) return 'type_mismatch';
  if (!Number.isFinite(value.count) || !Number.isFinite(value.sum)) return 'non_finite';
  const b = value.buckets;
  if (b) for (let i = 0; i < b.length; i += 2) if (Number.isNaN(b[i]!) || !Number.isFinite(b[i + 1]!)) return 'non_finite';
  return undefined;
}

/** What one frame came to: applied, a duplicate, definitions registered, or refused (with the HTTP answer it gets alone). */
export type FrameOutcome =
  { ok: true; status: AckStatus; result: string } | { ok: false; http: number; result: string; code: string; message: string; extra: Record<string, unknown>; retryAfter?: string };

function refused(http: number, result: string, code: string, message: string, extra: Record<string, unknown> = {}, retryAfter?: string): FrameOutcome {
  return { ok: false, http, result, code, message, extra, ...(retryAfter ? { retryAfter } : {}) };
}

export class Ingest {
  readonly #state: StateStore;
  readonly #merger: Merger;
  readonly #tables: Tables;
  readonly #opts: IngestOptions;

  constructor(state: StateStore, merger: Merger, opts: IngestOptions) {
    this.#state = state;
    this.#merger = merger;
    this.#opts = opts;
    this.#tables = new Tables(opts.maxSeries, { idleMs: opts.definitionIdleMs, nowMs: this.#now(), onForgotten: (n) => opts.definitionsForgotten?.inc(n) });
  }

  /** This host's clock (the tests' when given). */
  #now(): number {
    return this.#opts.nowMs ? this.#opts.nowMs() : Date.now();
  }

  /** Forgets an agent's series definitions (the agent itself was forgotten). */
  forgetDefinitions(agent: string): void {
    this.#tables.forgetAgent(agent);
  }

  /**
   * Checks one frame's checksum and inflates its payload within the bounds, off the event loop past a usual batch's
   * size (inflate.ts): the bytes for `apply`, or the refusal.
   */
  async inflate(frame: Frame): Promise<Buffer | FrameOutcome> {
    if (!frameIntact(frame)) return refused(400, 'malformed', 'OUTRIDER_ERR_AGG_BAD_CHECKSUM', 'frame checksum mismatch');
    try {
      return await inflatePayload(frame.header.codec, frame.payload, this.#maxOutput(frame.payload.length));
    } catch (err) {
      return this.#payloadRefusal(err, frame);
    }
  }

  /**
   * Checks, decodes and applies one frame (not yet committed: the caller commits before it answers). `grant` is
   * what the request's token allows: a batch under an agent id it does not cover is refused before anything of it
   * is kept. `inflated`: the payload as `inflate` gave it (the frame's checksum checked); without it the payload is
   * checked and inflated here, synchronously.
   */
  apply(frame: Frame, grant?: Grant, inflated?: Buffer): FrameOutcome {
    const hdr = frame.header;
    if (!inflated && !frameIntact(frame)) return refused(400, 'malformed', 'OUTRIDER_ERR_AGG_BAD_CHECKSUM', 'frame checksum mismatch');
    let payload;
    try {
      payload = decodePayload(inflated ?? decompressSync(hdr.codec, frame.payload, this.#maxOutput(frame.payload.length)), this.#opts.limits);
      for (const d of payload.dists) if (d.sketch !== null && d.sketch !== undefined) d.sketch = validateSketch(d.sketch);
    } catch (err) {
      return this.#payloadRefusal(err, frame);
    }
    const state = this.#state;
    const agent = payload.agentId;
    if (grant && !grantsAgent(grant, agent)) return refused(403, 'forbidden', 'OUTRIDER_ERR_AGG_FORBIDDEN_AGENT', `this token may not send batches as agent ${JSON.stringify(agent)}`);
    const implausible = this.#implausible(agent, hdr.epoch, hdr.seq, hdr.kind);
    if (implausible) return refused(400, 'implausible', 'OUTRIDER_ERR_AGG_IMPLAUSIBLE', implausible);
    if (!state.agents.has(agent) && state.agents.size >= this.#opts.maxAgents) {
      return refused(429, 'refused', 'OUTRIDER_ERR_AGG_TOO_MANY_AGENTS', `the aggregator tracks ${this.#opts.maxAgents} agents already`, {}, '60');
    }
    const { epoch, seq } = hdr;
    const now = this.#now();
    if (!this.#tables.define(agent, epoch, payload.families, payload.series, now))
      return refused(429, 'refused', 'OUTRIDER_ERR_AGG_TOO_MANY_SERIES', 'the aggregator holds too many series definitions', {}, '60');
    if (hdr.kind === FrameKind.defs) {
      const h = parseHandover(payload.meta);
      if (h === undefined) return { ok: true, status: 'ok', result: 'definitions' };
      if (typeof h === 'string') return refused(400, 'malformed', 'OUTRIDER_ERR_AGG_BAD_PAYLOAD', h);
      return this.#handover(payload, epoch, h);
    }
    if (state.isApplied(agent, epoch, seq)) return { ok: true, status: 'duplicate', result: 'duplicate' };
    const missing: number[] = [];
    const sc = payload.scalars;
    const defs = this.#tables.seriesOf(agent, epoch) ?? new Map<number, ResolvedSeries>();
    // Resolved once: the apply pass below reuses them.
    const scalarDefs: ResolvedSeries[] = new Array(sc.length >> 1);
    for (let i = 0; i < sc.length; i += 2) {
      const r = defs.get(sc[i]!);
      if (r) {
        r.usedMs = now;
        scalarDefs[i >> 1] = r;
      } else missing.push(sc[i]!);
    }
    for (const d of payload.dists) {
      const r = defs.get(d.sid);
      if (r) r.usedMs = now;
      else missing.push(d.sid);
    }
    if (missing.length > 0) {
      return refused(409, 'unknown_series', 'OUTRIDER_ERR_AGG_UNKNOWN_SERIES', 'series definitions are unknown (the aggregator restarted); send them again', { missing: missing.slice(0, 100_000) });
    }
    const prevAgent = state.agents.get(agent);
    if (prevAgent && epoch < prevAgent.epoch) return { ok: true, status: 'duplicate', result: 'duplicate' };
    const a = noteBatch(prevAgent, payload, epoch);
    // The agent's send time stamps its series (an absurd one, this clock's time).
    const sent = payload.sentMs;
    this.#merger.beginBatch(agent, Number.isSafeInteger(sent) && sent > 0 ? sent : Date.now());
    const full: Array<[string, SeriesState]> = [];
    const updated: SeriesState[] = [];
    let skipped = 0;
    let nonFinite = 0;
    let mismatched = 0;
    const merger = this.#merger;
    for (let i = 0; i < sc.length; i += 2) {
      const r = scalarDefs[i >> 1]!;
      const v = sc[i + 1]!;
      const t = r.family.type;
      if (t !== 'gauge' && t !== 'untyped') {
        const p = sampleProblem(t, v);
        if (p === 'non_finite') nonFinite++;
        if (p === 'type_mismatch') mismatched++;
        if (p) continue;
      }
      const prev = r.state;
      if (prev) {
        // The steady state: the series' state is cached on its definition.
        const st = merger.applyScalar(prev, agent, r, epoch, seq, sc[i + 1]!, prev.id);
        if (st) updated.push(st);
        else skipped++;
      } else if (!this.#applyNew(r, agent, epoch, seq, sc[i + 1]!, full, updated)) skipped++;
    }
    for (const d of payload.dists) {
      const r = defs.get(d.sid)!;
      const p = sampleProblem(r.family.type, d);
      if (p === 'non_finite') nonFinite++;
      if (p === 'type_mismatch') mismatched++;
      if (p) continue;
      if (!this.#applyNew(r, agent, epoch, seq, d, full, updated)) skipped++;
    }
    state.record(a, seq, epoch, full, updated);
    this.#opts.samples.inc(full.length + updated.length);
    if (this.#opts.storeWrites === 'immediate') merger.flushStore();
    if (skipped) this.#opts.skipped.inc(skipped);
    if (nonFinite) this.#opts.refusedSamples.inc({ reason: 'non_finite' }, nonFinite);
    if (mismatched) this.#opts.refusedSamples.inc({ reason: 'type_mismatch' }, mismatched);
    return { ok: true, status: 'applied', result: 'applied' };
  }

  /**
   * A handover from an agent that moved here: the values other aggregators acknowledged become the last values of
   * its series here, uncounted. Recorded like a batch of sequence `h.seq` (acknowledged elsewhere, so never sent
   * here); committed before the answer.
   */
  #handover(payload: BatchPayload, epoch: number, h: HandoverIn): FrameOutcome {
    const agent = payload.agentId;
    const state = this.#state;
    const prevAgent = state.agents.get(agent);
    if (prevAgent && epoch < prevAgent.epoch) return { ok: true, status: 'ok', result: 'handover' };
    const defs = this.#tables.seriesOf(agent, epoch) ?? new Map<number, ResolvedSeries>();
    this.#merger.beginBatch(agent, Date.now());
    const a = noteBatch(prevAgent, payload, epoch);
    const full: Array<[string, SeriesState]> = [];
    const updated: SeriesState[] = [];
    const now = this.#now();
    const one = (sidv: number, value: number | DistState) => {
      const r = defs.get(sidv);
      if (!r) return;
      r.usedMs = now;
      const t = r.family.type;
      if (typeof value === 'number' ? t !== 'counter' || !Number.isFinite(value) : t !== 'histogram' && t !== 'summary') return;
      let prev = r.state;
      let k: string | undefined;
      if (!prev) prev = state.series.get((k = agentSeriesKey(agent, r.key)));
      if (!prev && state.series.size >= this.#opts.maxSeries) return;
      const st = this.#merger.baseline(prev, agent, r, epoch, h.seq, value, prev ? prev.id : state.nextId());
      if (!st) return;
      r.state = st;
      if (prev) updated.push(st);
      else {
        state.add(k!, st);
        full.push([k!, st]);
      }
    };
    for (let i = 0; i < h.scalars.length; i += 2) one(h.scalars[i]!, h.scalars[i + 1]!);
    for (const d of h.dists) one(d.sid, { count: d.count, sum: d.sum, buckets: d.buckets });
    state.record(a, h.seq, epoch, full, updated);
    return { ok: true, status: 'ok', result: 'handover' };
  }

  /** The answer to a payload that could not be inflated or decoded. */
  #payloadRefusal(err: unknown, frame: Frame): FrameOutcome {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      const max = this.#maxOutput(frame.payload.length);
      const why = max < this.#opts.maxDecompressedBytes ? `${this.#opts.maxCompressionRatio} times its ${frame.payload.length} compressed bytes` : `${max} bytes`;
      return refused(413, 'too_large', 'OUTRIDER_ERR_AGG_TOO_LARGE', `payload decompresses past ${why}`);
    }
    if (err instanceof PayloadError && err.problem === 'too_large') return refused(413, 'too_large', 'OUTRIDER_ERR_AGG_TOO_LARGE', err.message);
    if (err instanceof PayloadError && err.problem === 'label_limit') return refused(400, 'label_limit', 'OUTRIDER_ERR_AGG_LABEL_LIMIT', err.message);
    const msg = err instanceof PayloadError ? err.message : `payload cannot be decompressed (${(err as Error).message})`;
    return refused(400, 'malformed', 'OUTRIDER_ERR_AGG_BAD_PAYLOAD', msg);
  }

  /** The most a payload of `compressed` bytes may inflate to: the limit, or the ratio bound (at least 64 KiB). */
  #maxOutput(compressed: number): number {
    return Math.min(this.#opts.maxDecompressedBytes, Math.max(65_536, compressed * this.#opts.maxCompressionRatio));
  }

  /**
   * Why an epoch or sequence number cannot come from an honest agent: an epoch (its start time, ms) far ahead of
   * this clock, or a sequence far above the highest applied in its epoch. Accepting one would make the agent's
   * real batches look old or duplicate.
   */
  #implausible(agent: string, epoch: number, seq: number, kind: FrameKind): string | undefined {
    if (!Number.isSafeInteger(epoch) || !Number.isSafeInteger(seq)) return 'epoch and sequence must be safe integers';
    if (epoch > Date.now() + this.#opts.maxEpochAheadMs) return `epoch ${epoch} is more than ${this.#opts.maxEpochAheadMs} ms ahead of this clock`;
    if (kind !== FrameKind.batch) return undefined;
    const a = this.#state.agents.get(agent);
    const base = a && a.epoch === epoch ? a.high : 0;
    if (seq > base + this.#opts.maxSequenceJump) return `sequence ${seq} jumps more than ${this.#opts.maxSequenceJump} past ${base}`;
    return undefined;
  }

  /** Applies a value to a series whose state is not cached on its definition (new, or a distribution). */
  #applyNew(r: ResolvedSeries, agent: string, epoch: number, seq: number, value: number | DistValue, full: Array<[string, SeriesState]>, updated: SeriesState[]): boolean {
    let prev = r.state;
    let k: string | undefined;
    if (!prev) {
      k = agentSeriesKey(agent, r.key);
      prev = this.#state.series.get(k);
    }
    if (!prev && this.#state.series.size >= this.#opts.maxSeries) {
      this.#opts.refusedSamples.inc({ reason: 'series_limit' }, 1);
      return true;
    }
    const id = prev ? prev.id : this.#state.nextId();
    const st = typeof value === 'number' ? this.#merger.applyScalar(prev, agent, r, epoch, seq, value, id) : this.#merger.applyDist(prev, agent, r, epoch, seq, value, id);
    if (!st) return false;
    r.state = st;
    if (prev) updated.push(st);
    else {
      this.#state.add(k!, st);
      full.push([k!, st]);
    }
    return true;
  }
}
