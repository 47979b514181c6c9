/**
 * Shape of the raw addon (`outrider_native.node`). Internal: callers use the
 * validated wrappers exported by `agent/native/index.ts`. The C++ side only
 * asserts and reports errno data; argument validation happens in TS.
 */

/** Summary of a native ring producer / consumer run. */
export interface RingRunSummary {
  records: number;
  bytes: number;
  /** Order-sensitive FNV-1a of each record's length (u32 LE) and payload. */
  checksum: number;
  nanos: number;
  /** The other side closed the ring. */
  closed: boolean;
  /** Stopped by environment teardown. */
  stopped: boolean;
  /** The consumer met bytes that are not a valid record and stopped (consumers only). */
  corrupt: boolean;
}

export interface RingPatternOptions {
  count: number;
  minLen: number;
  maxLen: number;
  seed: number;
  /** Records staged per publish. */
  batch?: number;
  /** Close the ring after the last record. */
  close?: boolean;
  /** Benchmarks: fixed-length records (index in the first 4 bytes), no pattern, no checksum. */
  fixedLen?: number;
}

export interface NativeTopologyNode {
  id: number;
  cpus: number[];
}

/** Per-worker pool statistics, as the addon reports them (and as the TS twin mirrors them). */
export interface NativeWorkerStats {
  id: number;
  /** NUMA node id. */
  node: number;
  /** First CPU of the worker's affinity set, -1 when not pinned. */
  cpu: number;
  pinned: boolean;
  /** Why pinning failed (`EINVAL`, ...), or `pinning disabled`. */
  pinError: string;
  executed: number;
  /** Tasks taken from another node's queue. */
  stolen: number;
}

export interface NativePoolStats {
  nodes: NativeTopologyNode[];
  workers: NativeWorkerStats[];
  pending: number;
  closed: boolean;
}

export interface NativePool {
  submit(kind: number, input: Uint8Array, arg: number, node: number): Promise<Buffer | number>;
  stats(): NativePoolStats;
  close(): void;
}

export interface NativeDirectFile {
  readonly directIo: boolean;
  readonly reason: string;
  readonly blockSize: number;
  readonly dsync: boolean;
  /** Logical length including staged, not yet flushed bytes. */
  length(): number;
  /** Logical length made durable by the last flush. */
  durableLength(): number;
  stagedBytes(): number;
  /** Logical length the file holds (written by a flush or write-behind, durable or not). */
  writtenLength(): number;
  append(bytes: Uint8Array): number;
  flush(): Promise<number>;
  read(offset: number, length: number): Promise<Buffer>;
  close(): void;
}

export interface NativeBinding {
  bindings: string[];
  sanitizer: string;
  napiVersion: number;

  ringLayout: { headerBytes: number; offWrite: number; offRead: number; offWaiters: number; offClosed: number; magic: number };
  ringWake(view: Uint8Array, which: 0 | 1): void;
  ringProduce(view: Uint8Array, opts: RingPatternOptions, doorbell?: () => void): Promise<RingRunSummary>;
  ringConsume(view: Uint8Array, opts: { count: number; idleTimeoutMs?: number }, doorbell?: () => void): Promise<RingRunSummary>;
  ringBenchNative(opts: { capacity: number; count: number; recordLen: number; batch: number }): Promise<RingRunSummary>;

  crc32c(bytes: Uint8Array, seed: number): number;
  crc32cTable(bytes: Uint8Array, seed: number): number;
  crc32cHardware: boolean;
  snappyCompress(bytes: Uint8Array): Buffer;
  snappyUncompress(bytes: Uint8Array): Buffer;
  inflateSync(bytes: Uint8Array, format: 0 | 1 | 2, maxOutput: number): Buffer;

  readTopology(sysfsRoot: string): { nodes: NativeTopologyNode[]; source: string };
  Pool: new (opts: { workers: number; sysfsRoot: string; pin: boolean }) => NativePool;

  sendfile(outFd: number, inFd: number, offset: number, length: number): Promise<number>;

  DirectFile: {
    open(path: string, opts: { dsync: boolean; direct: boolean; writeBehindBytes: number }): NativeDirectFile;
  };

  sdNotify(socketPath: string, state: string): void;
  unixDgramBind(path: string): number;
  unixDgramRecv(fd: number, timeoutMs: number): Promise<Buffer | null>;
  closeFd(fd: number): void;
}
