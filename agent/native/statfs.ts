/**
 * statfs with a deadline on native threads (native/src/statfs_binding.cc): the addon's face of the filesystem
 * collector's statfs pool, ~0.1 MiB per thread where a worker_threads isolate costs ~8 MiB.
 *
 * A call is queued to a few dedicated native threads; a timer started when the call is handed to the pool abandons
 * it at its deadline. A call still queued behind a slow one at its deadline gets a fresh deadline (it has not
 * started); a call a thread is inside is answered with StatfsTimeoutError at once, and that thread, still blocked in
 * the kernel, is detached and replaced. The pool never holds more than `threads + maxBlocked` threads: with every one
 * blocked, calls fail at once (StatfsBusyError). When a blocked call finally returns, `onLate` hears about it (so
 * the caller stops treating that mount as stuck) and its thread ends. The outcome callback is unref'd; a call's deadline
 * timer keeps the process alive until the call is answered or abandoned, so a blocked call never does.
 *
 * The pure-TS twin is the worker-thread pool in agent/collectors/host/statfs-pool.ts, used when the addon is not
 * loaded; both answer through {@link StatfsRunner}.
 */
import { nativeBinding } from './loader';

export interface FsStats {
  /** Block size the counts are in (statfs(2) f_bsize; node calls it bsize). */
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** What the filesystem collector calls: resolves stats, or rejects (errno error, StatfsTimeoutError, StatfsBusyError). */
export type StatfsFn = (path: string, timeoutMs: number) => Promise<FsStats>;

export class StatfsTimeoutError extends Error {
  readonly code = 'OUTRIDER_ERR_FILESYSTEM_STATFS_TIMEOUT';
  constructor(path: string, timeoutMs: number) {
    super(`statfs ${path} did not return within ${timeoutMs} ms`);
    this.name = 'StatfsTimeoutError';
  }
}

export class StatfsBusyError extends Error {
  readonly code = 'OUTRIDER_ERR_FILESYSTEM_STATFS_BUSY';
  constructor(path: string, blocked: number) {
    super(`statfs ${path} not attempted: ${blocked} statfs threads are blocked on hung mounts`);
    this.name = 'StatfsBusyError';
  }
}

export interface StatfsPoolStats {
  /** Threads serving calls, idle or busy. */
  active: number;
  /** Threads stuck in a call that already timed out. */
  blocked: number;
  /** Threads created over the pool's life. */
  created: number;
  timeouts: number;
  busyRejections: number;
}

/** A statfs pool with a deadline: the native one here, or the worker-thread twin. */
export interface StatfsRunner {
  readonly statfs: StatfsFn;
  stats(): StatfsPoolStats;
  /** Ends the idle threads; blocked ones end when their call returns. */
  close(): void;
}

export interface NativeStatfsOptions {
  /** Threads serving calls (not counting blocked ones). */
  threads: number;
  /** Extra threads the pool may create to replace blocked ones: the hard cap is threads + maxBlocked. */
  maxBlocked: number;
  /** Calls waiting for a thread, at most (past it: StatfsBusyError). Default 4096. */
  maxQueue?: number;
  /** Called when a call that timed out finally returns (ok or not). */
  onLate?: (path: string, ok: boolean) => void;
  /** Tests only: open() every path before its statfs, so a FIFO's path hangs until its writer end is opened. */
  testOpenFirst?: boolean;
}

type Outcome = (id: number, code: string, stats: Float64Array | undefined, late: boolean) => void;

interface RawStatfsPool {
  submit(id: number, path: string): number;
  abandon(id: number): number;
  stats(): { active: number; blocked: number; created: number; timeouts: number; refused: number; late: number; queued: number };
  close(): void;
}

interface StatfsBinding {
  StatfsPool?: new (opts: { threads: number; maxBlocked: number; maxQueue: number; testOpenFirst: boolean }, onOutcome: Outcome) => RawStatfsPool;
}

interface Call {
  path: string;
  timeoutMs: number;
  resolve: (s: FsStats) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** Timed out: the answer, when it comes, goes to onLate. */
  abandoned: boolean;
}

const SUBMIT_QUEUED = 0;
const SUBMIT_CLOSED = 3;
const ABANDONED = 1;

export class NativeStatfsPool implements StatfsRunner {
  readonly #raw: RawStatfsPool;
  readonly #onLate: ((path: string, ok: boolean) => void) | undefined;
  readonly #calls = new Map<number, Call>();
  #nextId = 1;
  #closed = false;

  constructor(ctor: NonNullable<StatfsBinding['StatfsPool']>, opts: NativeStatfsOptions) {
    this.#onLate = opts.onLate;
    this.#raw = new ctor(
      { threads: opts.threads, maxBlocked: opts.maxBlocked, maxQueue: opts.maxQueue ?? 4096, testOpenFirst: opts.testOpenFirst === true },
      (id, code, stats, late) => this.#onOutcome(id, code, stats, late),
    );
  }

  stats(): StatfsPoolStats {
    const s = this.#raw.stats();
    return { active: s.active ?? 0, blocked: s.blocked ?? 0, created: s.created ?? 0, timeouts: s.timeouts ?? 0, busyRejections: s.refused ?? 0 };
  }

  readonly statfs: StatfsFn = (path, timeoutMs) => {
    if (this.#closed) return Promise.reject(new Error('statfs pool is closed'));
    return new Promise<FsStats>((resolve, reject) => {
      const id = this.#nextId++;
      const r = this.#raw.submit(id, path);
      if (r !== SUBMIT_QUEUED) {
        reject(r === SUBMIT_CLOSED ? new Error('statfs pool is closed') : new StatfsBusyError(path, this.#raw.stats().blocked));
        return;
      }
      const call: Call = { path, timeoutMs, resolve, reject, timer: undefined, abandoned: false };
      this.#calls.set(id, call);
      this.#arm(id, call);
    });
  };

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#raw.close();
    for (const call of this.#calls.values()) {
      clearTimeout(call.timer);
      if (!call.abandoned) call.reject(new Error('statfs pool is closed'));
    }
    this.#calls.clear();
  }

  #arm(id: number, call: Call): void {
    call.timer = setTimeout(() => {
      if (this.#raw.abandon(id) === ABANDONED) {
        call.abandoned = true;
        call.reject(new StatfsTimeoutError(call.path, call.timeoutMs));
        return;
      }
      // Still queued behind a slow call (its deadline starts when a thread takes it), or answered (or refused) with
      // the outcome on its way through the unref'd callback: a timer again, which also keeps the process alive
      // until the outcome comes.
      this.#arm(id, call);
    }, call.timeoutMs);
  }

  #onOutcome(id: number, code: string, stats: Float64Array | undefined, late: boolean): void {
    const call = this.#calls.get(id);
    if (!call) return;
    this.#calls.delete(id);
    clearTimeout(call.timer);
    if (call.abandoned || late) {
      this.#onLate?.(call.path, code === '');
      return;
    }
    if (code === '' && stats) {
      call.resolve({ bsize: stats[0]!, blocks: stats[1]!, bfree: stats[2]!, bavail: stats[3]!, files: stats[4]!, ffree: stats[5]! });
    } else if (code === 'REFUSED') {
      call.reject(new StatfsBusyError(call.path, this.#raw.stats().blocked));
    } else {
      const err = new Error(`${code}: statfs ${call.path} failed`) as NodeJS.ErrnoException;
      err.code = code;
      err.syscall = 'statfs';
      err.path = call.path;
      call.reject(err);
    }
  }
}

/** A native statfs pool, or undefined when the addon (or its statfs binding) is not loaded. */
export function createNativeStatfsPool(opts: NativeStatfsOptions): NativeStatfsPool | undefined {
  const binding = nativeBinding() as StatfsBinding | null;
  if (!binding?.StatfsPool) return undefined;
  return new NativeStatfsPool(binding.StatfsPool, opts);
}
