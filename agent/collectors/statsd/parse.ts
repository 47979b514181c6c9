/**
 * StatsD / DogStatsD line grammar (DogStatsD protocol up to v1.6), the pure-TS twin of native/src/statsd/parser.cc.
 *
 *   metric   := NAME ":" VALUE (":" VALUE)* "|" TYPE ("|" FIELD)*
 *   TYPE     := "c" | "g" | "ms" | "h" | "s" | "d"
 *   FIELD    := "@" RATE            sample rate, 0 < RATE <= 1
 *             | "#" TAG ("," TAG)*  tags, "key:value"; "key" and "key:" are dropped (counted)
 *             | "c:" CONTAINER_ID   container id (also "ci-..." and "in-..." forms), parsed and ignored
 *             | "T" UNIX_SECONDS    timestamp: the sample passes through unaggregated
 *             | "e:" EXTERNAL_DATA  parsed and ignored
 *             | "card:" CARDINALITY parsed and ignored
 *             | anything else       unknown extension: skipped
 *   event    := "_e{" TLEN "," XLEN "}:" TITLE "|" TEXT ("|" FIELD)*
 *   check    := "_sc|" NAME "|" STATUS ("|" FIELD)*
 *
 * Gauge values with a leading sign ("+3", "-3") are deltas (StatsD semantics); a negative counter increment is
 * refused (negative_counter); empty packed values ("1::2") are skipped and counted; "|T" needs digits. Set members
 * are the raw text after the first ":" (no value packing for sets, as in DogStatsD). A line is either fully accepted or rejected with a
 * reason; one bad line never affects the others of its packet.
 */

export type MetricKind = 'c' | 'g' | 'ms' | 'h' | 's' | 'd';

export type InvalidReason = 'no_value' | 'empty_name' | 'no_type' | 'bad_type' | 'bad_value' | 'bad_sample_rate' | 'bad_timestamp' | 'negative_counter' | 'bad_event' | 'bad_service_check';

/** Parts of an accepted line that were left out: empty packed values, tags with an empty or no value. */
export type SkipReason = 'empty_value' | 'empty_tag_value' | 'valueless_tag';

/** Every skip reason, in the order shown in docs and metrics. */
export const skipReasons: readonly SkipReason[] = ['empty_value', 'empty_tag_value', 'valueless_tag'];

/** Every reason a line or packet is refused, in the order shown in docs and metrics. */
export const invalidReasons: readonly string[] = [
  'no_value',
  'empty_name',
  'no_type',
  'bad_type',
  'bad_value',
  'bad_sample_rate',
  'bad_timestamp',
  'negative_counter',
  'bad_event',
  'bad_service_check',
];

export interface ParsedMetric {
  kind: 'metric';
  name: string;
  type: MetricKind;
  /** Numeric values (all types but sets). */
  values: number[];
  /** Set member (sets only). */
  member: string;
  /** Gauge delta ("+n"/"-n"). */
  relative: boolean;
  sampleRate: number;
  /** Canonical tag string: tags sorted, comma-joined, empty tags removed. */
  tags: string;
  /** Unix seconds from "|T", or 0. */
  timestamp: number;
  /** Empty packed values skipped ("a:1::2|h"). */
  skippedValues: number;
  /** Tags dropped: "key:" (empty value) and "key" (no value); Prometheus has no such labels. */
  skippedEmptyTags: number;
  skippedValuelessTags: number;
}

export interface ParsedEvent {
  kind: 'event';
  title: string;
}

export interface ParsedServiceCheck {
  kind: 'service_check';
  name: string;
  status: number;
}

export type ParseResult = ParsedMetric | ParsedEvent | ParsedServiceCheck | InvalidReason;

const numberRe = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a decimal number as StatsD clients write it; NaN for anything else (hex, Infinity, empty). */
export function parseNumber(s: string): number {
  if (!numberRe.test(s)) return NaN;
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
}

interface CanonicalTags {
  tags: string;
  /** Tags "key:" with an empty value. */
  empty: number;
  /** Tags "key" without a value. */
  valueless: number;
}

const tagCache = new Map<string, CanonicalTags>();

function keep(tag: string): boolean {
  const colon = tag.indexOf(':');
  return colon > 0 && colon < tag.length - 1;
}

/**
 * Sorts and joins tags so the same set in any order names the same series. Tags that cannot become labels — no
 * value ("key") or an empty one ("key:") — are dropped here and counted, so "a:1|c|#env:" and "a:1|c" are one series
 * (Prometheus treats an empty label as an absent one: two series would collide on one label set).
 */
export function canonicalTags(raw: string): CanonicalTags {
  if (raw === '') return { tags: '', empty: 0, valueless: 0 };
  const hit = tagCache.get(raw);
  if (hit !== undefined) return hit;
  let empty = 0;
  let valueless = 0;
  const kept: string[] = [];
  for (const t of raw.split(',')) {
    if (t === '') continue;
    if (keep(t)) kept.push(t);
    else if (t.indexOf(':') > 0) empty++;
    else valueless++;
  }
  const out = { tags: kept.length > 1 ? kept.sort().join(',') : (kept[0] ?? ''), empty, valueless };
  if (tagCache.size > 50_000) tagCache.clear();
  tagCache.set(raw, out);
  return out;
}

function metricType(t: string): MetricKind | undefined {
  switch (t) {
    case 'c':
    case 'g':
    case 'ms':
    case 'h':
    case 's':
    case 'd':
      return t;
    default:
      return undefined;
  }
}

export function parseLine(line: string): ParseResult {
  if (line.charCodeAt(0) === 95 /* _ */) {
    if (line.startsWith('_e{')) return parseEvent(line);
    if (line.startsWith('_sc|')) return parseServiceCheck(line);
  }
  const bar = line.indexOf('|');
  const head = bar < 0 ? line : line.slice(0, bar);
  const colon = head.indexOf(':');
  if (colon < 0) return 'no_value';
  if (colon === 0) return 'empty_name';
  if (bar < 0) return 'no_type';
  const name = head.slice(0, colon);
  const rest = head.slice(colon + 1);
  const bar2 = line.indexOf('|', bar + 1);
  const type = metricType(bar2 < 0 ? line.slice(bar + 1) : line.slice(bar + 1, bar2));
  if (!type) return 'bad_type';
  const m: ParsedMetric = {
    kind: 'metric',
    name,
    type,
    values: [],
    member: '',
    relative: false,
    sampleRate: 1,
    tags: '',
    timestamp: 0,
    skippedValues: 0,
    skippedEmptyTags: 0,
    skippedValuelessTags: 0,
  };
  if (type === 's') {
    if (rest === '') return 'bad_value';
    m.member = rest;
  } else {
    let start = 0;
    for (;;) {
      const end = rest.indexOf(':', start);
      const text = end < 0 ? rest.slice(start) : rest.slice(start, end);
      if (text === '' && rest !== '') {
        // An empty member of a packed line ("a:1::2|h") is skipped, as the Datadog agent does.
        m.skippedValues++;
      } else {
        const v = parseNumber(text);
        if (Number.isNaN(v)) return 'bad_value';
        // A counter only goes up: a negative increment would read as a reset to rate() and increase().
        if (type === 'c' && v < 0) return 'negative_counter';
        m.values.push(v);
        if (type === 'g' && (text.charCodeAt(0) === 43 || text.charCodeAt(0) === 45)) m.relative = true;
      }
      if (end < 0) break;
      start = end + 1;
    }
    if (m.values.length === 0) return 'bad_value';
  }
  let pos = bar2;
  while (pos >= 0) {
    const next = line.indexOf('|', pos + 1);
    const field = next < 0 ? line.slice(pos + 1) : line.slice(pos + 1, next);
    pos = next;
    const c0 = field.charCodeAt(0);
    if (c0 === 64 /* @ */) {
      const r = parseNumber(field.slice(1));
      if (!(r > 0 && r <= 1)) return 'bad_sample_rate';
      m.sampleRate = r;
    } else if (c0 === 35 /* # */) {
      const ct = canonicalTags(field.slice(1));
      m.tags = ct.tags;
      m.skippedEmptyTags = ct.empty;
      m.skippedValuelessTags = ct.valueless;
    } else if (c0 === 84 /* T */) {
      const text = field.slice(1);
      if (!/^\d{1,12}$/.test(text)) return 'bad_timestamp';
      m.timestamp = Number(text);
    }
    // "c:" container id, "e:" external data, "card:" cardinality and unknown fields are skipped.
  }
  return m;
}

/** `_e{<title length>,<text length>}:<title>|<text>|...`; lengths are in UTF-8 bytes per the spec. */
function parseEvent(line: string): ParseResult {
  const close = line.indexOf('}:');
  if (close < 0) return 'bad_event';
  const lens = line.slice(3, close).split(',');
  if (lens.length !== 2 || !/^\d+$/.test(lens[0]!) || !/^\d+$/.test(lens[1]!)) return 'bad_event';
  const tlen = Number(lens[0]);
  const xlen = Number(lens[1]);
  const body = Buffer.from(line.slice(close + 2), 'utf8');
  if (tlen === 0 || body.length < tlen + 1 + xlen || body[tlen] !== 0x7c /* | */) return 'bad_event';
  return { kind: 'event', title: body.subarray(0, tlen).toString('utf8') };
}

/** `_sc|<name>|<status 0-3>|...` */
function parseServiceCheck(line: string): ParseResult {
  const parts = line.split('|');
  if (parts.length < 3 || parts[1] === '' || !/^[0-3]$/.test(parts[2]!)) return 'bad_service_check';
  return { kind: 'service_check', name: parts[1]!, status: Number(parts[2]) };
}
