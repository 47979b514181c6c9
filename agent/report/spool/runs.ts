/**
 * Runs of spooled records that can travel as one byte range: consecutive records of one segment (each starting where
 * the previous ended) and of one epoch. Replay sends such a run as one request body (several frames back to back,
 * docs/protocol.md "Several frames in one body"), so a backlog goes from the segment to the socket in a few large
 * sendfile calls instead of one per record.
 */
import type { RecordRef } from './spool';

/** Whether `next` starts exactly where `prev` ends, in the same segment and epoch. */
export function follows(prev: RecordRef, next: RecordRef): boolean {
  return next.segment === prev.segment && next.offset === prev.offset + prev.length && next.epoch === prev.epoch;
}

/**
 * Splits records (in write order) into runs of records that follow each other, each run at most `maxBytes` long
 * (a record larger than that is a run of its own).
 */
export function contiguousRuns(records: readonly RecordRef[], maxBytes: number): RecordRef[][] {
  const runs: RecordRef[][] = [];
  let run: RecordRef[] = [];
  let bytes = 0;
  for (const r of records) {
    const last = run.at(-1);
    if (last && (!follows(last, r) || bytes + r.length > maxBytes)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(r);
    bytes += r.length;
  }
  if (run.length) runs.push(run);
  return runs;
}
