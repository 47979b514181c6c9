/**
 * The process profiling itself through node:inspector's in-process Session: a CPU profile for N seconds (V8's
 * .cpuprofile JSON, which Chrome DevTools and speedscope open), a heap snapshot streamed as it is written
 * (.heapsnapshot), and a heap and event-loop summary. One profile or snapshot runs at a time.
 *
 * A heap snapshot needs about as much memory again as the heap it describes, on top of what the process uses, and
 * blocks the event loop while it is taken. It is refused, before anything is allocated, when the memory in use plus
 * twice the used heap would pass the limit: the configured one, else the cgroup's memory.max (the lowest on the
 * path to the root), else physical memory. A refusal changes nothing in the running process.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { OutriderError } from '../errors';

export interface MemoryFacts {
  /** Memory the process (or its cgroup) uses now, in bytes. */
  usageBytes: number;
  /** The limit a snapshot must fit under, in bytes, and where it comes from. */
  limitBytes: number;
  limitSource: 'configured' | 'cgroup' | 'physical';
}

/** The cgroup v2 memory limit and usage of this process, read from /proc and /sys (undefined parts when absent). */
export function cgroupMemory(procRoot = '/proc', cgroupRoot = '/sys/fs/cgroup'): { limit?: number; usage?: number } {
  let path: string | undefined;
  try {
    const line = readFileSync(join(procRoot, 'self/cgroup'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    path = line?.slice(3).trim();
  } catch {
    return {};
  }
  if (path === undefined) return {};
  const read = (dir: string, file: string): string | undefined => {
    try {
      return readFileSync(join(cgroupRoot, dir, file), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  let limit: number | undefined;
  for (let dir = path; ; dir = dir.slice(0, dir.lastIndexOf('/')) || '/') {
    const max = read(dir, 'memory.max');
    const n = max === undefined || max === 'max' ? NaN : Number(max);
    if (Number.isFinite(n) && (limit === undefined || n < limit)) limit = n;
    if (dir === '/' || dir === '') break;
  }
  const cur = Number(read(path, 'memory.current'));
  return { limit, usage: Number.isFinite(cur) && cur > 0 ? cur : undefined };
}

export function memoryFacts(configuredLimit: number): MemoryFacts {
  const cg = cgroupMemory();
  const rss = process.memoryUsage.rss();
  const usageBytes = Math.max(rss, cg.usage ?? 0);
  if (configuredLimit > 0) return { usageBytes: rss, limitBytes: configuredLimit, limitSource: 'configured' };
  if (cg.limit !== undefined) return { usageBytes, limitBytes: cg.limit, limitSource: 'cgroup' };
  return { usageBytes: rss, limitBytes: totalmem(), limitSource: 'physical' };
}

export interface HeapCheck {
  allowed: boolean;
  heapUsedBytes: number;
  usageBytes: number;
  limitBytes: number;
  limitSource: MemoryFacts['limitSource'];
  /** Why not, in a sentence, when not allowed. */
  reason?: string;
}

function post<T>(s: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => s.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
}

export class Profiler {
  readonly #memory: () => MemoryFacts;
  readonly #loopDelay: IntervalHistogram;
  #busy: string | undefined;
  #elu = performance.eventLoopUtilization();

  constructor(opts: { memory: () => MemoryFacts }) {
    this.#memory = opts.memory;
    this.#loopDelay = monitorEventLoopDelay({ resolution: 20 });
    this.#loopDelay.enable();
  }

  close(): void {
    this.#loopDelay.disable();
  }

  /** What runs now ('cpu profile', 'heap snapshot'), if anything. */
  get busy(): string | undefined {
    return this.#busy;
  }

  async cpuProfile(durationMs: number, signal?: AbortSignal): Promise<unknown> {
    this.#claim('cpu profile');
    const s = new Session();
    try {
      s.connect();
      await post(s, 'Profiler.enable');
      await post(s, 'Profiler.setSamplingInterval', { interval: 1000 });
      await post(s, 'Profiler.start');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, durationMs);
        signal?.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      const { profile } = await post<{ profile: unknown }>(s, 'Profiler.stop');
      return profile;
    } finally {
      s.disconnect();
      this.#busy = undefined;
    }
  }

  heapCheck(): HeapCheck {
    const heapUsedBytes = getHeapStatistics().used_heap_size;
    const m = this.#memory();
    const need = m.usageBytes + 2 * heapUsedBytes;
    const out: HeapCheck = { allowed: need <= m.limitBytes, heapUsedBytes, usageBytes: m.usageBytes, limitBytes: m.limitBytes, limitSource: m.limitSource };
    if (!out.allowed) {
      const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
      out.reason = `a heap snapshot needs about twice the used heap (${mib(heapUsedBytes)}) on top of the ${mib(m.usageBytes)} in use, which would pass the ${m.limitSource} memory limit of ${mib(m.limitBytes)}`;
    }
    return out;
  }

  /** Streams a heap snapshot through `write`; refused (OUTRIDER_ERR_PROFILING_HEAP_LIMIT) when it would not fit. */
  async heapSnapshot(write: (chunk: string) => void): Promise<void> {
    const check = this.heapCheck();
    if (!check.allowed) throw new OutriderError('OUTRIDER_ERR_PROFILING_HEAP_LIMIT', `heap snapshot refused: ${check.reason}`);
    this.#claim('heap snapshot');
    const s = new Session();
    try {
      s.connect();
      s.on('HeapProfiler.addHeapSnapshotChunk', (m) => write((m.params as { chunk: string }).chunk));
      await post(s, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    } finally {
      s.disconnect();
      this.#busy = undefined;
    }
  }

  /** The heap and event loop now: V8's heap statistics and spaces, process memory, loop delay and utilisation. */
  summary(): unknown {
    const h = getHeapStatistics();
    const elu = performance.eventLoopUtilization(this.#elu);
    this.#elu = performance.eventLoopUtilization();
    const d = this.#loopDelay;
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const summary = {
      heap: {
        used_bytes: h.used_heap_size,
        total_bytes: h.total_heap_size,
        limit_bytes: h.heap_size_limit,
        external_bytes: h.external_memory,
        spaces: getHeapSpaceStatistics().map((s) => ({ name: s.space_name, used_bytes: s.space_used_size, size_bytes: s.space_size })),
      },
      process: process.memoryUsage(),
      event_loop: {
        delay_ms: { min: ms(d.min), mean: ms(d.mean), p50: ms(d.percentile(50)), p99: ms(d.percentile(99)), max: ms(d.max) },
        utilization: Math.round(elu.utilization * 10000) / 10000,
        since_last_summary_ms: Math.round(elu.idle + elu.active),
      },
      snapshot: this.heapCheck(),
      busy: this.#busy ?? null,
    };
    d.reset();
    return summary;
  }

  #claim(what: string): void {
    if (this.#busy) throw new OutriderError('OUTRIDER_ERR_PROFILING_BUSY', `a ${this.#busy} is already running; one at a time`);
    this.#busy = what;
  }
}
