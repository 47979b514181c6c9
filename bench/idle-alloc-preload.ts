/**
 * Loaded with `--require` into an agent by `bench/idle-alloc.ts`: samples the heap's allocations (those a minor or
 * major GC collected included) from `IDLE_ALLOC_FROM` to `IDLE_ALLOC_TO` seconds after the process started, then
 * writes the sampling profile to `IDLE_ALLOC_OUT` (a `.heapprofile`). Nothing when `IDLE_ALLOC_OUT` is unset.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const out = process.env.IDLE_ALLOC_OUT;
if (out) {
  const from = Number(process.env.IDLE_ALLOC_FROM ?? 60) * 1000;
  const to = Number(process.env.IDLE_ALLOC_TO ?? 120) * 1000;
  const interval = Number(process.env.IDLE_ALLOC_INTERVAL ?? 256);
  const session = new Session();
  session.connect();
  setTimeout(() => {
    session.post('HeapProfiler.enable', () =>
      session.post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }, () =>
        setTimeout(
          () =>
            session.post('HeapProfiler.stopSampling', (err, r) => {
              writeFileSync(out, err ? JSON.stringify({ error: String(err) }) : JSON.stringify(r.profile));
            }),
          to - from,
        ).unref(),
      ),
    );
  }, from).unref();
}
