/**
 * Per-interval aggregation of parsed lines, the pure-TS twin of native/src/statsd/aggregator.cc. Both produce the
 * same drain form (`Drained`): one entry per (type, name, canonical tags) seen in the interval, plus counters of what
 * was received and refused. What happens across intervals (cumulative counters, gauge state, mapping, limits, TTL)
 * is the job of `SeriesTable`, shared by both paths.
 *
 * Timers (`ms`) are converted to seconds here (the statsd_exporter convention; Prometheus uses base units).
 */
import { DDSketch } from '../../store/sketch';
import { MetricKind, parseLine } from './parse';

export interface RawEntry {
  type: MetricKind;
  name: string;
  tags: string;
  /** Counter: sum of scaled increments; gauge: value (or summed delta when `relative`); set: distinct members. */
  value: number;
  relative: boolean;
  /** Timers, histograms, distributions. */
  sketch: DDSketch | undefined;
  /** Unix seconds of a timestamped ("|T") sample, passed through unaggregated; 0 otherwise. */
  timestamp: number;
}

export interface IngestStats {
  packets: number;
  bytes: number;
  lines: number;
  /** Packets refused whole because they were larger than statsd.max_packet_size. */
  tooLarge: number;
  /** Lines refused, by reason. */
  invalid: Record<string, number>;
  /** Parts of accepted lines left out, by reason (empty_value, empty_tag_value, valueless_tag). */
  skipped: Record<string, number>;
  events: number;
  /** Service checks by status (0 ok, 1 warning, 2 critical, 3 unknown). */
  serviceChecks: [number, number, number, number];
  /** Lines dropped because the interval's aggregation table was full. */
  overflow: number;
  /** A few refused lines for the debug log. */
  samples: Array<{ reason: string; line: string }>;
}

export interface Drained {
  /**
   * Consumed once, during the flush that drained it (the native path hands entries over in chunks and may reuse one
   * entry object: keep its fields, never the entry).
   */
  entries: Iterable<RawEntry>;
  stats: IngestStats;
}

export function emptyStats(): IngestStats {
  return { packets: 0, bytes: 0, lines: 0, tooLarge: 0, invalid: {}, skipped: {}, events: 0, serviceChecks: [0, 0, 0, 0], overflow: 0, samples: [] };
}

/** Adds `b` into `a`. */
export function mergeStats(a: IngestStats, b: IngestStats): void {
  a.packets += b.packets;
  a.bytes += b.bytes;
  a.lines += b.lines;
  a.tooLarge += b.tooLarge;
  for (const [r, n] of Object.entries(b.invalid)) a.invalid[r] = (a.invalid[r] ?? 0) + n;
  for (const [r, n] of Object.entries(b.skipped)) a.skipped[r] = (a.skipped[r] ?? 0) + n;
  a.events += b.events;
  for (let i = 0; i < 4; i++) a.serviceChecks[i] = a.serviceChecks[i]! + b.serviceChecks[i]!;
  a.overflow += b.overflow;
  for (const s of b.samples) if (a.samples.length < 5) a.samples.push(s);
}

interface Slot {
  entry: RawEntry;
  members: Set<string> | undefined;
}

export class Aggregator {
  readonly #maxKeys: number;
  #slots = new Map<string, Slot>();
  #stats = emptyStats();

  /** `maxKeys` bounds the table within one interval; lines for new keys past it are counted as overflow. */
  constructor(maxKeys = 1_000_000) {
    this.#maxKeys = maxKeys;
  }

  /** One datagram: newline-separated lines, trailing newline tolerated. */
  ingestPacket(buf: Buffer): void {
    this.#stats.packets++;
    this.#stats.bytes += buf.length;
    const text = buf.toString('utf8');
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      let line = text.slice(start, end);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line !== '') this.ingestLine(line);
      start = end + 1;
    }
  }

  /** Counts a packet refused whole (larger than the limit). */
  packetTooLarge(): void {
    this.#stats.tooLarge++;
  }

  #skip(reason: string, n: number): void {
    this.#stats.skipped[reason] = (this.#stats.skipped[reason] ?? 0) + n;
  }

  ingestLine(line: string): void {
    const r = parseLine(line);
    if (typeof r === 'string') {
      this.#stats.invalid[r] = (this.#stats.invalid[r] ?? 0) + 1;
      if (this.#stats.samples.length < 5) this.#stats.samples.push({ reason: r, line: line.length > 200 ? line.slice(0, 200) + '...' : line });
      return;
    }
    if (r.kind === 'event') {
      this.#stats.events++;
      return;
    }
    if (r.kind === 'service_check') {
      this.#stats.serviceChecks[r.status]!++;
      return;
    }
    if (r.skippedValues) this.#skip('empty_value', r.skippedValues);
    if (r.skippedEmptyTags) this.#skip('empty_tag_value', r.skippedEmptyTags);
    if (r.skippedValuelessTags) this.#skip('valueless_tag', r.skippedValuelessTags);
    const key = (r.timestamp ? 'T' : '') + r.type + '|' + r.name + '|' + r.tags;
    let slot = this.#slots.get(key);
    if (!slot) {
      if (this.#slots.size >= this.#maxKeys) {
        this.#stats.overflow++;
        return;
      }
      const isDist = r.type === 'ms' || r.type === 'h' || r.type === 'd';
      slot = {
        entry: { type: r.type, name: r.name, tags: r.tags, value: 0, relative: r.type === 'g', sketch: isDist ? new DDSketch() : undefined, timestamp: 0 },
        members: r.type === 's' ? new Set() : undefined,
      };
      this.#slots.set(key, slot);
    }
    this.#stats.lines++;
    const e = slot.entry;
    if (r.timestamp) e.timestamp = Math.max(e.timestamp, r.timestamp);
    switch (r.type) {
      case 'c':
        for (const v of r.values) e.value += v / r.sampleRate;
        break;
      case 'g':
        for (const v of r.values) {
          if (r.relative) e.value += v;
          else {
            e.value = v;
            e.relative = false;
          }
        }
        break;
      case 's':
        slot.members!.add(r.member);
        e.value = slot.members!.size;
        break;
      default: {
        const scale = r.type === 'ms' ? 0.001 : 1;
        for (const v of r.values) e.sketch!.add(v * scale, 1 / r.sampleRate);
      }
    }
  }

  /** Hands over everything aggregated since the last drain and starts a new interval. */
  drain(): Drained {
    const entries: RawEntry[] = [];
    for (const s of this.#slots.values()) entries.push(s.entry);
    const stats = this.#stats;
    this.#slots = new Map();
    this.#stats = emptyStats();
    return { entries, stats };
  }
}
