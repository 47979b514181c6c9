/**
 * The batch payload: a msgpack array, encoded with msgpackr's options pinned below so both ends agree whatever the
 * library's defaults become. See docs/protocol.md for the field-by-field description.
 *
 *   [1, agentId, sentMs, meta, families, series, scalars, dists]
 *   families: flat [fid, name, type, help, ...]          type: 0 counter 1 gauge 2 summary 3 histogram 4 untyped,
 *                                                        + 16 when the values restart with the agent process
 *   series:   flat [sid, fid, [k, v, k, v...], ...]      a definition travels once per segment and aggregator session
 *   scalars:  flat [sid, value, sid, value, ...]         counters cumulative, gauges as set
 *   dists:    [[sid, count, sum, buckets|null, quantiles|null, sketch|null], ...]   buckets/quantiles flat [x, y, ...]
 */
import { Packr } from 'msgpackr';
import type { MetricType } from '../store/types';
import { DecodeLimits, scanMsgpack } from './msgpack-scan';

/** Pinned msgpackr options: plain msgpack (no record extension, no bundled strings, no float32 narrowing). */
export const packr = new Packr({
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  bundleStrings: false,
  useFloat32: 0,
  mapsAsObjects: true,
  int64AsType: 'number',
});

export const typeCodes: Record<MetricType, number> = { counter: 0, gauge: 1, summary: 2, histogram: 3, untyped: 4 };
export const typeNames: MetricType[] = ['counter', 'gauge', 'summary', 'histogram', 'untyped'];
/** Flag added to a family's type code: its values start from zero when the agent process starts. */
export const RESTARTS_WITH_AGENT = 0x10;

export interface BatchMeta {
  version?: string;
  /** Bytes and batches waiting in the agent's spool when the batch was formed. */
  backlog_bytes?: number;
  backlog_batches?: number;
  dropped_batches?: number;
}

export interface FamilyDef {
  fid: number;
  name: string;
  type: MetricType;
  help: string;
  /** The values start from zero with each agent process (epoch); see FamilyDesc.restartsWithAgent. */
  restartsWithAgent?: boolean;
}

export interface SeriesDef {
  sid: number;
  fid: number;
  /** Flat [name, value, ...], names sorted. */
  labels: string[];
}

export interface DistValue {
  sid: number;
  count: number;
  sum: number;
  buckets: number[] | null;
  quantiles: number[] | null;
  sketch: unknown;
}

export interface BatchPayload {
  agentId: string;
  sentMs: number;
  meta: BatchMeta;
  families: FamilyDef[];
  series: SeriesDef[];
  /** Flat [sid, value, ...]. */
  scalars: number[];
  dists: DistValue[];
}

export function encodePayload(p: BatchPayload): Buffer {
  const fams: unknown[] = [];
  for (const f of p.families) fams.push(f.fid, f.name, typeCodes[f.type] | (f.restartsWithAgent ? RESTARTS_WITH_AGENT : 0), f.help);
  const series: unknown[] = [];
  for (const s of p.series) series.push(s.sid, s.fid, s.labels);
  const dists = p.dists.map((d) => [d.sid, d.count, d.sum, d.buckets, d.quantiles, d.sketch ?? null]);
  return packr.pack([1, p.agentId, p.sentMs, p.meta, fams, series, p.scalars, dists]);
}

/** Why a payload was refused: malformed, past a size limit of the decoded document, or past a label limit. */
export type PayloadProblem = 'malformed' | 'too_large' | 'label_limit';

export class PayloadError extends Error {
  override name = 'PayloadError';
  readonly problem: PayloadProblem;

  constructor(message: string, problem: PayloadProblem = 'malformed') {
    super(message);
    this.problem = problem;
  }
}

/**
 * Bounds of a decoded payload, checked before anything is built (msgpack-scan.ts) and, for labels, per series
 * definition (Prometheus' `label_limit`, `label_name_length_limit`, `label_value_length_limit`; 0: no limit). The
 * value length limit also bounds family names, and help texts are held to MAX_HELP_CHARS.
 */
export interface PayloadLimits extends DecodeLimits {
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
}

export const MAX_HELP_CHARS = 16 * 1024;

export const DEFAULT_PAYLOAD_LIMITS: Readonly<PayloadLimits> = {
  maxElements: 2_000_000,
  maxStringBytes: 16 * 1024 * 1024,
  maxDepth: 16,
  labelLimit: 64,
  labelNameLengthLimit: 256,
  labelValueLengthLimit: 4096,
};

function checkLabels(where: string, name: string, help: string | undefined, labels: readonly string[] | undefined, l: PayloadLimits): void {
  const over = (what: string) => new PayloadError(`${where}: ${what}`, 'label_limit');
  if (l.labelValueLengthLimit > 0 && name.length > l.labelValueLengthLimit) throw over(`metric name longer than ${l.labelValueLengthLimit} characters`);
  if (help !== undefined && help.length > MAX_HELP_CHARS) throw over(`help text longer than ${MAX_HELP_CHARS} characters`);
  if (!labels) return;
  if (l.labelLimit > 0 && labels.length / 2 > l.labelLimit) throw over(`${labels.length / 2} labels, more than ${l.labelLimit}`);
  for (let k = 0; k < labels.length; k += 2) {
    if (l.labelNameLengthLimit > 0 && labels[k]!.length > l.labelNameLengthLimit) throw over(`a label name longer than ${l.labelNameLengthLimit} characters`);
    if (l.labelValueLengthLimit > 0 && labels[k + 1]!.length > l.labelValueLengthLimit) throw over(`a label value longer than ${l.labelValueLengthLimit} characters`);
  }
}

const isNum = (v: unknown): v is number => typeof v === 'number';
const isStr = (v: unknown): v is string => typeof v === 'string';

/**
 * Decodes and validates a payload; throws PayloadError with a reason on anything malformed. With `limits`, the
 * document is walked against them before msgpackr builds it, and label limits are checked per definition.
 */
export function decodePayload(buf: Buffer, limits?: PayloadLimits): BatchPayload {
  if (limits) {
    const p = scanMsgpack(buf, limits);
    if (p) throw new PayloadError(p.limit ? `payload is too large when decoded: ${p.message}` : `payload is not valid msgpack (${p.message})`, p.limit ? 'too_large' : 'malformed');
  }
  let raw: unknown;
  try {
    raw = packr.unpack(buf);
  } catch (err) {
    throw new PayloadError(`payload is not valid msgpack (${(err as Error).message})`);
  }
  if (!Array.isArray(raw) || raw.length < 8 || raw[0] !== 1) throw new PayloadError('payload is not a version 1 batch array');
  const [, agentId, sentMs, meta, fams, series, scalars, dists] = raw as unknown[];
  if (!isStr(agentId) || agentId.length === 0 || agentId.length > 256) throw new PayloadError('agent id must be a string of 1 to 256 characters');
  if (!isNum(sentMs)) throw new PayloadError('sent time must be a number');
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new PayloadError('meta must be a map');
  if (!Array.isArray(fams) || fams.length % 4 !== 0) throw new PayloadError('families must be a flat array of 4-tuples');
  if (!Array.isArray(series) || series.length % 3 !== 0) throw new PayloadError('series must be a flat array of 3-tuples');
  if (!Array.isArray(scalars) || scalars.length % 2 !== 0) throw new PayloadError('scalars must be a flat array of pairs');
  if (!Array.isArray(dists)) throw new PayloadError('dists must be an array');
  const out: BatchPayload = { agentId, sentMs, meta: meta as BatchMeta, families: [], series: [], scalars: [], dists: [] };
  for (let i = 0; i < fams.length; i += 4) {
    const [fid, name, type, help] = [fams[i], fams[i + 1], fams[i + 2], fams[i + 3]];
    if (!isNum(fid) || !isStr(name) || !Number.isInteger(type) || ((type as number) & ~(RESTARTS_WITH_AGENT | 0x0f)) !== 0 || typeNames[(type as number) & 0x0f] === undefined || !isStr(help)) {
      throw new PayloadError(`family definition ${i / 4} is malformed`);
    }
    if (limits) checkLabels(`family definition ${i / 4}`, name, help as string, undefined, limits);
    const def: FamilyDef = { fid, name, type: typeNames[(type as number) & 0x0f]!, help };
    if ((type as number) & RESTARTS_WITH_AGENT) def.restartsWithAgent = true;
    out.families.push(def);
  }
  for (let i = 0; i < series.length; i += 3) {
    const [sid, fid, labels] = [series[i], series[i + 1], series[i + 2]];
    if (!isNum(sid) || !isNum(fid) || !Array.isArray(labels) || labels.length % 2 !== 0 || !labels.every(isStr)) {
      throw new PayloadError(`series definition ${i / 3} is malformed`);
    }
    if (limits) checkLabels(`series definition ${i / 3}`, '', undefined, labels as string[], limits);
    out.series.push({ sid, fid, labels: labels as string[] });
  }
  for (let i = 0; i < scalars.length; i++) if (!isNum(scalars[i])) throw new PayloadError(`scalar ${i >> 1} is not a number`);
  out.scalars = scalars as number[];
  for (const d of dists) {
    if (!Array.isArray(d) || d.length < 5 || !isNum(d[0]) || !isNum(d[1]) || !isNum(d[2])) throw new PayloadError('distribution is malformed');
    const nums = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length % 2 === 0 && v.every(isNum));
    if (!nums(d[3]) || !nums(d[4])) throw new PayloadError('distribution buckets or quantiles are malformed');
    out.dists.push({ sid: d[0], count: d[1], sum: d[2], buckets: (d[3] as number[] | null) ?? null, quantiles: (d[4] as number[] | null) ?? null, sketch: d[5] ?? null });
  }
  return out;
}
