/**
 * The handover an agent sends an aggregator it moved to (docs/protocol.md, Handover): in the meta map of a
 * definitions frame, `handover: {seq, scalars: [sid, value, ...], dists: [[sid, count, sum, buckets|null, ...]]}`,
 * the highest sequence of its epoch that an aggregator acknowledged and the latest acknowledged cumulative value of
 * each series. Checked strictly here: anything else refuses the frame as a malformed payload.
 */
import type { DistValue } from '../wire/payload';

export interface HandoverIn {
  seq: number;
  scalars: number[];
  dists: DistValue[];
}

const num = (v: unknown): v is number => typeof v === 'number';
const sid = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function distOf(v: unknown): DistValue | string {
  // msgpack gives the agent's DistValue objects back as maps.
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'a handover distribution must be a map';
  const d = v as Record<string, unknown>;
  if (!sid(d.sid) || !num(d.count) || !num(d.sum) || !Number.isFinite(d.count) || !Number.isFinite(d.sum)) return 'a handover distribution needs a series id and finite count and sum';
  const b = d.buckets;
  if (b !== null && b !== undefined && (!Array.isArray(b) || b.length % 2 !== 0 || !b.every((x, i) => num(x) && (i % 2 === 0 ? !Number.isNaN(x) : Number.isFinite(x)))))
    return 'handover buckets must be flat [le, count, ...] numbers';
  return { sid: d.sid, count: d.count, sum: d.sum, buckets: (b as number[] | null | undefined) ?? null, quantiles: null, sketch: null };
}

/** The handover in a frame's meta: undefined when there is none, a message when it is malformed. */
export function parseHandover(meta: unknown): HandoverIn | string | undefined {
  const h = (meta as Record<string, unknown> | null)?.handover;
  if (h === undefined) return undefined;
  if (h === null || typeof h !== 'object' || Array.isArray(h)) return 'handover must be a map';
  const o = h as Record<string, unknown>;
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return 'handover sequence must be a positive integer';
  const sc = o.scalars;
  if (!Array.isArray(sc) || sc.length % 2 !== 0 || !sc.every((x, i) => (i % 2 === 0 ? sid(x) : num(x)))) return 'handover scalars must be flat [sid, value, ...]';
  if (!Array.isArray(o.dists)) return 'handover dists must be an array';
  const dists: DistValue[] = [];
  for (const v of o.dists) {
    const d = distOf(v);
    if (typeof d === 'string') return d;
    dists.push(d);
  }
  return { seq: o.seq as number, scalars: sc as number[], dists };
}
