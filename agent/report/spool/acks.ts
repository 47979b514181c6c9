/**
 * Acknowledgement marks kept next to their segment: `seg-<id>.acks` holds one 16-byte entry per acknowledged record
 * (u64 LE epoch, u64 LE sequence), appended as the aggregator acknowledges it and deleted with its segment. A
 * restarted agent skips what was acknowledged instead of replaying it (possibly to another aggregator, which would
 * count it again) and so keeps its place. The marks are written at once but not synced on their own: after a host
 * crash the last ones may be lost, and those records are replayed (the aggregator that acknowledged them answers
 * `duplicate`). A short or torn tail is ignored.
 */
import fs from 'node:fs';

const kEntry = 16;

export function acksPath(segmentPath: string): string {
  return segmentPath.replace(/\.orsp$/, '.acks');
}

/** The (epoch, sequence) pairs marked acknowledged for a segment, as `epoch:seq` keys. */
export function readAcks(segmentPath: string): Set<string> {
  const out = new Set<string>();
  let b: Buffer;
  try {
    b = fs.readFileSync(acksPath(segmentPath));
  } catch {
    return out;
  }
  for (let o = 0; o + kEntry <= b.length; o += kEntry) out.add(`${b.readBigUInt64LE(o)}:${b.readBigUInt64LE(o + 8)}`);
  return out;
}

/** Appends one mark; false when it cannot be written (the record is then replayed after a restart). */
export function appendAck(segmentPath: string, epoch: number, seq: number): boolean {
  const b = Buffer.allocUnsafe(kEntry);
  b.writeBigUInt64LE(BigInt(epoch), 0);
  b.writeBigUInt64LE(BigInt(seq), 8);
  try {
    fs.appendFileSync(acksPath(segmentPath), b, { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

export function removeAcks(segmentPath: string): void {
  fs.rmSync(acksPath(segmentPath), { force: true });
}
