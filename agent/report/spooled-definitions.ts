/**
 * Series definitions recovered from a spool segment: when the aggregator lost its interning table for an epoch this
 * process no longer writes, the definitions are read back from the records of that epoch before the one refused.
 */
import { decompressSync } from '../wire/codec';
import { FRAME_HEADER_BYTES } from '../wire/frame';
import { decodePayload, FamilyDef, SeriesDef } from '../wire/payload';
import { scanSegment } from './spool/scan';
import type { RecordRef, Spool } from './spool/spool';

export function definitionsFromSpool(spool: Spool, ref: RecordRef, want: Set<number>): { families: FamilyDef[]; series: SeriesDef[] } | undefined {
  const fams = new Map<number, FamilyDef>();
  const series = new Map<number, SeriesDef>();
  const scan = scanSegment(ref.segment.path, 64 * 1024 * 1024 + FRAME_HEADER_BYTES);
  for (const r of scan.records) {
    if (r.offset > ref.offset || r.header.epoch !== ref.epoch) continue;
    try {
      const buf = spool.read({ ...ref, offset: r.offset, length: r.length });
      const p = decodePayload(decompressSync(r.header.codec, buf.subarray(FRAME_HEADER_BYTES), 256 * 1024 * 1024));
      for (const f of p.families) fams.set(f.fid, f);
      for (const s of p.series) if (want.has(s.sid)) series.set(s.sid, s);
    } catch {
      /* a record that cannot be read gives no definitions */
    }
  }
  if (series.size < want.size) return undefined;
  const needFams = new Set([...series.values()].map((s) => s.fid));
  return { families: [...fams.values()].filter((f) => needFams.has(f.fid)), series: [...series.values()] };
}
