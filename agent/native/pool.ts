/**
 * CPU work off the JS thread: CRC-32C, gzip/zlib, snappy (Prometheus remote
 * write bodies). {@link createThreadPool} returns the native NUMA-aware pool
 * when the addon is loaded, else the TS twin; both implement
 * {@link ThreadPool}.
 *
 * Native: workers grouped per NUMA node (sysfs), pinned to their node's CPUs,
 * per-node queues with work stealing; inputs are copied at submission.
 * Twin: gzip/zlib run on libuv's thread pool (node:zlib); CRC-32C and snappy
 * run on the JS thread in a later macrotask (there is no real parallelism) —
 * correct, not fast.
 */
import os from 'node:os';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import type { NativePool, NativeWorkerStats } from './binding';
import { crc32cTs } from './crc32c';
import { ErrorCode, OutriderError, fromNative, nativeError } from './errors';
import { nativeBinding } from './loader';
import { snappyCompressTs, snappyUncompressTs } from './snappy';
import { readTopologyTs, type CpuNode } from './topology';

export interface ThreadPoolOptions {
  /** Worker threads; default one per CPU of the topology. */
  workers?: number;
  /** sysfs root for the topology (tests describe fake NUMA machines). Default `/sys`. */
  sysfsRoot?: string;
  /** Pin workers to their node's CPUs. Default true; failures are reported, not fatal. */
  pin?: boolean;
}

export type WorkerStats = NativeWorkerStats;

export interface PoolStats {
  nodes: CpuNode[];
  workers: WorkerStats[];
  /** Queued, not yet started. */
  pending: number;
  closed: boolean;
}

/** Options of a single submission. */
export interface SubmitOptions {
  /** Queue on this node (index into stats().nodes); default round robin. */
  node?: number;
}

export interface ThreadPool {
  readonly kind: 'native' | 'twin';
  /** CRC-32C of `data` continuing from `seed`. */
  crc32c(data: Uint8Array, seed?: number, opts?: SubmitOptions): Promise<number>;
  /** gzip (RFC 1952) at `level` 0..9 (-1: zlib default). */
  gzip(data: Uint8Array, level?: number, opts?: SubmitOptions): Promise<Buffer>;
  gunzip(data: Uint8Array, opts?: SubmitOptions): Promise<Buffer>;
  /** zlib format (RFC 1950) deflate. */
  deflate(data: Uint8Array, level?: number, opts?: SubmitOptions): Promise<Buffer>;
  inflate(data: Uint8Array, opts?: SubmitOptions): Promise<Buffer>;
  /** Snappy block compression, as Prometheus remote write expects. */
  snappyCompress(data: Uint8Array, opts?: SubmitOptions): Promise<Buffer>;
  snappyUncompress(data: Uint8Array, opts?: SubmitOptions): Promise<Buffer>;
  /** Busy-waits `micros` on a worker and returns its id (tests and benchmarks). */
  spin(micros: number, opts?: SubmitOptions): Promise<number>;
  stats(): PoolStats;
  /**
   * Closes the pool. `drain: false` (default): queued tasks reject with
   * OUTRIDER_ERR_POOL_CLOSED, running ones complete. `drain: true`: waits for
   * every submitted task first. Later submissions reject with POOL_CLOSED.
   */
  close(opts?: { drain?: boolean }): Promise<void>;
}

const KIND = { crc32c: 0, gzip: 1, gunzip: 2, deflate: 3, inflate: 4, snappy: 5, unsnappy: 6, spin: 7 } as const;
type Kind = (typeof KIND)[keyof typeof KIND];

function checkData(data: unknown): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new OutriderError(ErrorCode.INVALID_ARG, 'pool: data must be a Uint8Array or Buffer');
  return data;
}

function checkLevel(level: unknown): number {
  if (typeof level !== 'number' || !Number.isInteger(level) || level < -1 || level > 9) {
    throw new OutriderError(ErrorCode.INVALID_ARG, `pool: level must be an integer in [-1, 9], got ${String(level)}`);
  }
  return level;
}

function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new OutriderError(ErrorCode.INVALID_ARG, `pool: seed must be an integer in [0, 2^32), got ${String(seed)}`);
  }
  return seed;
}

function checkMicros(micros: unknown): number {
  if (typeof micros !== 'number' || !Number.isFinite(micros) || micros < 0 || micros > 60e6) {
    throw new OutriderError(ErrorCode.INVALID_ARG, `pool: micros must be in [0, 60e6], got ${String(micros)}`);
  }
  return micros;
}

function checkOptions(opts: ThreadPoolOptions): Required<ThreadPoolOptions> {
  if (opts === null || typeof opts !== 'object') throw new OutriderError(ErrorCode.INVALID_ARG, 'pool: options must be an object');
  const workers = opts.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0 || workers > 1024) {
    throw new OutriderError(ErrorCode.INVALID_ARG, `pool: workers must be an integer in [0, 1024], got ${String(opts.workers)}`);
  }
  const sysfsRoot = opts.sysfsRoot ?? '/sys';
  if (typeof sysfsRoot !== 'string' || sysfsRoot === '') throw new OutriderError(ErrorCode.INVALID_ARG, 'pool: sysfsRoot must be a path');
  const pin = opts.pin ?? true;
  if (typeof pin !== 'boolean') throw new OutriderError(ErrorCode.INVALID_ARG, 'pool: pin must be a boolean');
  return { workers, sysfsRoot, pin };
}

abstract class BasePool implements ThreadPool {
  abstract readonly kind: 'native' | 'twin';
  protected closed = false;
  private readonly inflight = new Set<Promise<unknown>>();

  protected abstract run(kind: Kind, data: Uint8Array, arg: number, node: number): Promise<Buffer | number>;
  protected abstract nodeCount(): number;
  abstract stats(): PoolStats;
  protected abstract shutdown(): void;

  private submit<T extends Buffer | number>(kind: Kind, data: unknown, arg: number, opts: SubmitOptions | undefined): Promise<T> {
    try {
      const bytes = checkData(data);
      const node = opts?.node ?? -1;
      if (!Number.isInteger(node) || node < -1 || node >= this.nodeCount()) {
        throw new OutriderError(ErrorCode.INVALID_ARG, `pool: node must be -1 or an index below ${this.nodeCount()}, got ${String(node)}`);
      }
      if (this.closed) throw new OutriderError(ErrorCode.POOL_CLOSED, 'pool: closed');
      const p = this.run(kind, bytes, arg, node) as Promise<T>;
      this.inflight.add(p);
      const forget = () => this.inflight.delete(p);
      p.then(forget, forget);
      return p;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  crc32c(data: Uint8Array, seed = 0, opts?: SubmitOptions): Promise<number> {
    try {
      return this.submit(KIND.crc32c, data, checkSeed(seed), opts);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  gzip(data: Uint8Array, level = -1, opts?: SubmitOptions): Promise<Buffer> {
    try {
      return this.submit(KIND.gzip, data, checkLevel(level), opts);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  gunzip(data: Uint8Array, opts?: SubmitOptions): Promise<Buffer> {
    return this.submit(KIND.gunzip, data, 0, opts);
  }
  deflate(data: Uint8Array, level = -1, opts?: SubmitOptions): Promise<Buffer> {
    try {
      return this.submit(KIND.deflate, data, checkLevel(level), opts);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  inflate(data: Uint8Array, opts?: SubmitOptions): Promise<Buffer> {
    return this.submit(KIND.inflate, data, 0, opts);
  }
  snappyCompress(data: Uint8Array, opts?: SubmitOptions): Promise<Buffer> {
    return this.submit(KIND.snappy, data, 0, opts);
  }
  snappyUncompress(data: Uint8Array, opts?: SubmitOptions): Promise<Buffer> {
    return this.submit(KIND.unsnappy, data, 0, opts);
  }
  spin(micros: number, opts?: SubmitOptions): Promise<number> {
    try {
      return this.submit(KIND.spin, EMPTY, checkMicros(micros), opts);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async close(opts: { drain?: boolean } = {}): Promise<void> {
    if (opts.drain) {
      while (this.inflight.size) await Promise.allSettled([...this.inflight]);
    }
    this.closed = true;
    this.shutdown();
  }
}

const EMPTY = new Uint8Array(0);

/** The native NUMA-aware pool. Throws NATIVE_UNAVAILABLE without the addon. */
export class NativeThreadPool extends BasePool {
  readonly kind = 'native' as const;
  private readonly pool: NativePool;
  private readonly nodes: number;

  constructor(opts: ThreadPoolOptions = {}) {
    super();
    const o = checkOptions(opts);
    const b = nativeBinding();
    if (!b) throw new OutriderError(ErrorCode.NATIVE_UNAVAILABLE, 'pool: native addon not loaded');
    this.pool = new b.Pool(o);
    this.nodes = this.pool.stats().nodes.length;
  }

  protected nodeCount(): number {
    return this.nodes;
  }

  protected run(kind: Kind, data: Uint8Array, arg: number, node: number): Promise<Buffer | number> {
    return this.pool.submit(kind, data, arg, node).catch((e: { code?: string }) => {
      throw e?.code === 'ECANCELED'
        ? nativeError(ErrorCode.POOL_CLOSED, 'pool: closed before the task ran', { cause: e })
        : fromNative(ErrorCode.POOL_TASK, 'pool task failed', e);
    });
  }

  stats(): PoolStats {
    return this.pool.stats();
  }

  protected shutdown(): void {
    this.pool.close();
  }
}

const gzipP = promisify(zlib.gzip);
const gunzipP = promisify(zlib.gunzip);
const deflateP = promisify(zlib.deflate);
const inflateP = promisify(zlib.inflate);

interface Queued {
  start: () => void;
  reject: (e: unknown) => void;
}

/** The TS twin: node:zlib for gzip/zlib, the JS thread for CRC-32C and snappy. */
export class TwinThreadPool extends BasePool {
  readonly kind = 'twin' as const;
  private readonly topology;
  private readonly concurrency: number;
  private readonly queue: Queued[] = [];
  private running = 0;
  private executed = 0;

  constructor(opts: ThreadPoolOptions = {}) {
    super();
    const o = checkOptions(opts);
    this.topology = readTopologyTs(o.sysfsRoot);
    this.concurrency = o.workers || Math.max(1, os.availableParallelism());
  }

  protected nodeCount(): number {
    return this.topology.nodes.length;
  }

  private work(kind: Kind, data: Uint8Array, arg: number): Promise<Buffer | number> {
    const zopts = { level: arg };
    switch (kind) {
      case KIND.gzip:
        return gzipP(data, zopts);
      case KIND.gunzip:
        return gunzipP(data).catch((e) => Promise.reject(fromNative(ErrorCode.POOL_TASK, 'pool task failed', e)));
      case KIND.deflate:
        return deflateP(data, zopts);
      case KIND.inflate:
        return inflateP(data).catch((e) => Promise.reject(fromNative(ErrorCode.POOL_TASK, 'pool task failed', e)));
      default:
        return new Promise((resolve, reject) =>
          setImmediate(() => {
            try {
              if (kind === KIND.crc32c) resolve(crc32cTs(data, arg));
              else if (kind === KIND.snappy) resolve(snappyCompressTs(data));
              else if (kind === KIND.unsnappy) resolve(snappyUncompressTs(data));
              else {
                const until = performance.now() + arg / 1000;
                while (performance.now() < until);
                resolve(0);
              }
            } catch (e) {
              reject(e);
            }
          }),
        );
    }
  }

  protected run(kind: Kind, data: Uint8Array, arg: number, _node: number): Promise<Buffer | number> {
    // Snapshot like the native pool does, so callers may reuse their buffer.
    const input = kind === KIND.spin ? data : Uint8Array.prototype.slice.call(data);
    return new Promise((resolve, reject) => {
      const start = () => {
        this.running++;
        this.work(kind, input, arg)
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.executed++;
            this.pump();
          });
      };
      this.queue.push({ start, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length) this.queue.shift()!.start();
  }

  stats(): PoolStats {
    return {
      nodes: this.topology.nodes,
      workers: [
        {
          id: 0,
          node: this.topology.nodes[0]!.id,
          cpu: -1,
          pinned: false,
          pinError: 'TS twin: no worker threads of its own',
          executed: this.executed,
          stolen: 0,
        },
      ],
      pending: this.queue.length,
      closed: this.closed,
    };
  }

  protected shutdown(): void {
    for (const q of this.queue.splice(0)) q.reject(new OutriderError(ErrorCode.POOL_CLOSED, 'pool: closed before the task ran'));
  }
}

/** The native pool when the addon is loaded, else the twin. */
export function createThreadPool(opts: ThreadPoolOptions = {}): ThreadPool {
  return nativeBinding() ? new NativeThreadPool(opts) : new TwinThreadPool(opts);
}

let shared: ThreadPool | null = null;

/** A process-wide pool created on first use (one worker per CPU). */
export function sharedThreadPool(): ThreadPool {
  if (!shared) shared = createThreadPool();
  return shared;
}

/** Topology as the pool sees it: native parser when loaded, else the TS twin. */
export function readTopology(sysfsRoot = '/sys'): import('./topology').Topology {
  if (typeof sysfsRoot !== 'string' || sysfsRoot === '') throw new OutriderError(ErrorCode.INVALID_ARG, 'topology: sysfsRoot must be a path');
  const b = nativeBinding();
  return b ? b.readTopology(sysfsRoot) : readTopologyTs(sysfsRoot);
}
