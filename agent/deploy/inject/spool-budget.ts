/**
 * The injected sidecar's spool sizes, derived from the spool volume's `emptyDir.sizeLimit` so the spool can never
 * push the volume past it (the kubelet evicts the whole pod, application included, when an emptyDir passes its
 * sizeLimit).
 *
 * What the spool directory can hold on disk, and so what the headroom covers:
 *   - segments: their logical bytes never pass `spool.max_size` (an append that would is refused or first deletes
 *     the oldest segment);
 *   - per file, the file system's block rounding, and with `spool.io=direct` one more block plus a 16-byte trailer:
 *     8 KiB per segment file is reserved;
 *   - quarantine/: copies of records the aggregator refused, bounded at 100 files (a record and its reason), so at
 *     most 51 records of at most one batch each (`report.max_batch_bytes` plus the one series that may pass it and
 *     the frame header: 64 KiB is reserved for those);
 *   - the epoch file, its temporary twin and the directories: 1 MiB.
 * Batches and segments are scaled down with the volume so that small volumes keep most of their bytes for the
 * spool itself.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** The smallest spool volume the injection accepts. */
export const minSizeLimitBytes = 32 * MiB;
export const quarantineRecords = 51;
const perFileSlack = 8 * KiB;
const batchSlack = 64 * KiB;
const fixedReserve = 1 * MiB;

export interface SpoolBudget {
  /** The volume's sizeLimit in bytes. */
  sizeLimitBytes: number;
  /** spool.max_size: logical bytes of segments. */
  maxSizeBytes: number;
  /** spool.segment_size. */
  segmentBytes: number;
  /** report.max_batch_bytes. */
  batchBytes: number;
  /** sizeLimit - maxSize: what the rest of the directory may use. */
  reserveBytes: number;
}

const siUnits: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3 };
const binUnits: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** A Kubernetes quantity (`256Mi`, `1G`, `1e9`, `500m`) in bytes, rounded up; undefined when it is not one. */
export function quantityBytes(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? Math.ceil(q) : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?)$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]! + (m[2] ?? ''));
  const unit = m[3] ?? '';
  const mult = binUnits[unit] ?? siUnits[unit]!;
  const v = Math.ceil(n * mult);
  return Number.isFinite(v) ? v : undefined;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
const floorTo = (v: number, unit: number) => Math.floor(v / unit) * unit;

/** The spool sizes for a volume of `sizeLimitBytes`; undefined when the volume is below minSizeLimitBytes. */
export function spoolBudget(sizeLimitBytes: number): SpoolBudget | undefined {
  if (!(sizeLimitBytes >= minSizeLimitBytes)) return undefined;
  const batchBytes = floorTo(clamp(sizeLimitBytes / 256, 64 * KiB, 1 * MiB), KiB);
  const segmentBytes = floorTo(clamp(sizeLimitBytes / 16, 1 * MiB, 64 * MiB), MiB);
  const files = Math.ceil(sizeLimitBytes / segmentBytes) + 2;
  const reserve = quarantineRecords * (batchBytes + batchSlack) + files * perFileSlack + fixedReserve;
  const maxSizeBytes = floorTo(sizeLimitBytes - reserve, MiB);
  return { sizeLimitBytes, maxSizeBytes, segmentBytes, batchBytes, reserveBytes: sizeLimitBytes - maxSizeBytes };
}

/** Bytes as a size the agent's config reads (`200MiB`, `192KiB`, or plain bytes). */
export function sizeText(bytes: number): string {
  if (bytes % MiB === 0) return `${bytes / MiB}MiB`;
  if (bytes % KiB === 0) return `${bytes / KiB}KiB`;
  return String(bytes);
}

/** Bytes as a Kubernetes quantity (`320Mi`, `192Ki`, or plain bytes). */
export function quantityText(bytes: number): string {
  return sizeText(bytes).replace(/B$/, '');
}

/** The agent flags that put the spool inside its budget. */
export function spoolFlags(b: SpoolBudget): string[] {
  return [`--spool.max-size=${sizeText(b.maxSizeBytes)}`, `--spool.segment-size=${sizeText(b.segmentBytes)}`, `--report.max-batch-bytes=${sizeText(b.batchBytes)}`];
}
