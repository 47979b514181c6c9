/**
 * Loaded into the agent with `NODE_OPTIONS=--require dist/bench/statsd-heap-probe.js` by bench/statsd-memory-split.ts
 * (never by the agent itself): with STATSD_HEAP_PROBE=<file> set it appends `v8.getHeapSpaceStatistics()` and
 * `process.memoryUsage()` as one JSON line to <file> every 200 ms, and forces two full GCs (with --expose-gc) once a
 * file <file>.gc appears, removing it. Without the variable it does nothing.
 */
import { existsSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.STATSD_HEAP_PROBE;
if (out) {
  const fd = openSync(out, 'a');
  const gc = (globalThis as { gc?: () => void }).gc;
  setInterval(() => {
    let collected = false;
    if (existsSync(`${out}.gc`)) {
      unlinkSync(`${out}.gc`);
      gc?.();
      gc?.();
      collected = gc !== undefined;
    }
    const m = process.memoryUsage();
    const spaces: Record<string, [number, number]> = {};
    for (const s of getHeapSpaceStatistics()) spaces[s.space_name.replace(/_space$/, '')] = [s.space_size, s.space_used_size];
    writeSync(fd, `${JSON.stringify({ t: Date.now(), gc: collected, heapTotal: m.heapTotal, heapUsed: m.heapUsed, spaces })}\n`);
  }, 200).unref();
}
