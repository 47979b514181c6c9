/**
 * statfs with a deadline, on worker threads of its own: the pure-TS twin of the native statfs pool
 * (agent/native/statfs.ts), used when the addon is not loaded. A worker thread is a V8 isolate (~8 MiB of RSS).
 *
 * node's fs.statfs runs on the libuv threadpool (4 threads by default) shared with every file read of the process:
 * one statfs stuck on a dead NFS server holds a pool thread for as long as the server is gone, and four of them
 * stall every readFile in the agent. So statfs calls go to a small set of worker threads doing fs.statfsSync. A call
 * that passes its deadline is answered with a timeout at once; its thread, still blocked in the kernel, is set
 * aside ("blocked") and a fresh one takes its place. The pool never holds more than `threads + maxBlocked` threads;
 * when all it may have are blocked, calls fail at once (StatfsBusyError) instead of creating threads. When a blocked thread's call finally returns, `onLate`
 * hears about it (so the caller can stop treating that mount as stuck) and the thread is reused or ended.
 *
 * Threads are unref'd: a blocked thread never keeps the process alive. The worker-side implementation can be
 * replaced (`impl`, the source of a `(path, workerData) => stats` function) so tests can simulate a hang
 * deterministically, e.g. with Atomics.wait on a SharedArrayBuffer passed in `workerData`.
 */
import { Worker } from 'node:worker_threads';
import { FsStats, StatfsBusyError, StatfsPoolStats, StatfsRunner, StatfsTimeoutError } from '../../native/statfs';
import type { StatfsFn } from '../../native/statfs';

export { StatfsBusyError, StatfsTimeoutError };
export type { FsStats, StatfsFn, StatfsPoolStats, StatfsRunner };

export interface StatfsPoolOptions {
  /** Threads serving calls (not counting blocked ones). */
  threads: number;
  /** Extra threads the pool may create to replace blocked ones: the hard cap is threads + maxBlocked. */
  maxBlocked: number;
  /** Called when a call that timed out finally returns (ok or not). */
  onLate?: (path: string, ok: boolean) => void;
  /** Worker-side implementation source: `(path, workerData) => FsStats` (tests). */
  impl?: string;
  workerData?: unknown;
}

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const impl = workerData.impl
  ? (0, eval)('(' + workerData.impl + ')')
  : (p) => {
      const s = fs.statfsSync(p);
      return { bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
    };
parentPort.on('message', (m) => {
  try {
    parentPort.postMessage({ id: m.id, ok: true, stats: impl(m.path, workerData.data) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, code: e && e.code, message: String(e && e.message) });
  }
});
`;

interface Job {
  id: number;
  path: string;
  timeoutMs: number;
  resolve: (s: FsStats) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Thread {
  worker: Worker;
  job: Job | undefined;
  blocked: boolean;
  /** The thread has started; a call's deadline starts only then, so thread start-up never counts as a hang. */
  ready: boolean;
}

interface Reply {
  id: number;
  ok: boolean;
  stats?: FsStats;
  code?: string;
  message?: string;
}

export class StatfsPool implements StatfsRunner {
  readonly #opts: StatfsPoolOptions;
  readonly #threads = new Set<Thread>();
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;
  #created = 0;
  #timeouts = 0;
  #busy = 0;

  constructor(opts: StatfsPoolOptions) {
    this.#opts = opts;
  }

  stats(): StatfsPoolStats {
    let blocked = 0;
    for (const t of this.#threads) if (t.blocked) blocked++;
    return { active: this.#threads.size - blocked, blocked, created: this.#created, timeouts: this.#timeouts, busyRejections: this.#busy };
  }

  /** A StatfsFn bound to this pool. */
  readonly statfs: StatfsFn = (path, timeoutMs) => {
    if (this.#closed) return Promise.reject(new Error('statfs pool is closed'));
    return new Promise<FsStats>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, path, timeoutMs, resolve, reject });
      this.#dispatch();
    });
  };

  /** Ends every thread; blocked ones end when their call returns (they are unref'd meanwhile). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('statfs pool is closed'));
    for (const t of this.#threads) {
      if (t.job && !t.blocked) {
        clearTimeout(t.job.timer);
        t.job.reject(new Error('statfs pool is closed'));
      }
      void t.worker.terminate();
    }
    this.#threads.clear();
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const thread = this.#idleThread();
      if (!thread) break;
      this.#run(thread, this.#queue.shift()!);
    }
  }

  #idleThread(): Thread | undefined {
    let active = 0;
    let blocked = 0;
    for (const t of this.#threads) {
      if (t.blocked) {
        blocked++;
        continue;
      }
      active++;
      if (!t.job && t.ready) return t;
    }
    if (active < this.#opts.threads && active + blocked < this.#opts.threads + this.#opts.maxBlocked) {
      this.#spawn(); // serves the queue once online
      return undefined;
    }
    if (active === 0) {
      // Every thread we may have is stuck: refuse at once rather than pile up threads or wait without end.
      for (const job of this.#queue.splice(0)) {
        this.#busy++;
        job.reject(new StatfsBusyError(job.path, blocked));
      }
    }
    return undefined;
  }

  #spawn(): void {
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: { impl: this.#opts.impl, data: this.#opts.workerData },
      // A statfs loop needs almost no heap; small limits keep a thread (and a few blocked ones) cheap.
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2, stackSizeMb: 1 },
    });
    worker.unref();
    this.#created++;
    const thread: Thread = { worker, job: undefined, blocked: false, ready: false };
    this.#threads.add(thread);
    worker.on('online', () => {
      thread.ready = true;
      this.#dispatch();
    });
    worker.on('message', (m: Reply) => this.#onReply(thread, m));
    worker.on('error', (err) => this.#onGone(thread, err));
    worker.on('exit', () => this.#onGone(thread, new Error('statfs thread exited')));
  }

  #run(thread: Thread, job: Job): void {
    thread.job = job;
    job.timer = setTimeout(() => {
      // The thread stays blocked in the kernel; set it aside and let a fresh one serve the queue.
      this.#timeouts++;
      thread.blocked = true;
      job.reject(new StatfsTimeoutError(job.path, job.timeoutMs));
      this.#dispatch();
    }, job.timeoutMs);
    job.timer.unref();
    thread.worker.postMessage({ id: job.id, path: job.path });
  }

  #onReply(thread: Thread, m: Reply): void {
    const job = thread.job;
    if (!job || job.id !== m.id) return;
    thread.job = undefined;
    clearTimeout(job.timer);
    if (thread.blocked) {
      thread.blocked = false;
      this.#opts.onLate?.(job.path, m.ok);
      if (this.#closed || this.stats().active > this.#opts.threads) this.#end(thread);
    } else if (m.ok) {
      job.resolve(m.stats!);
    } else {
      const err = new Error(m.message ?? 'statfs failed') as NodeJS.ErrnoException;
      if (m.code) err.code = m.code;
      job.reject(err);
    }
    this.#dispatch();
  }

  #onGone(thread: Thread, err: Error): void {
    if (!this.#threads.delete(thread)) return;
    const job = thread.job;
    thread.job = undefined;
    if (job) {
      clearTimeout(job.timer);
      if (thread.blocked) this.#opts.onLate?.(job.path, false);
      else job.reject(err);
    }
    if (!thread.ready) {
      // It died starting up: respawning would only loop; fail what waits and let the next call try again.
      for (const q of this.#queue.splice(0)) q.reject(err);
      return;
    }
    if (!this.#closed) this.#dispatch();
  }

  #end(thread: Thread): void {
    this.#threads.delete(thread);
    void thread.worker.terminate();
  }
}
