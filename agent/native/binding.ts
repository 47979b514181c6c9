/**
 * Shape of the raw addon (`outrider_native.node`). Internal: callers use the
 * validated wrappers exported by `agent/native/index.ts`. The C++ side only
 * asserts and reports errno data; argument validation happens in TS.
 */

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

/** Totals over every native direct-I/O file of the process (native/src/io/direct_file.h `DirectIoTotals`). */
export interface DirectIoTotals {
  /** pwritev calls, the bytes they wrote (padding, trailers and rewritten tail blocks included), ms inside them. */
  writes: number;
  writeBytes: number;
  writeMs: number;
  /** fdatasync calls of flushes and ms inside them. */
  syncs: number;
  syncMs: number;
  /** ms the write-behind threads waited for enough staged bytes. */
  writerIdleMs: number;
  /** ms waitWritten callers waited for a write-behind thread. */
  waitMs: number;
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
  /** Writes (no sync) until at most maxBytes appended bytes are not in the file; absent from builds that predate it. */
  waitWritten?(maxBytes: number): Promise<number>;
  read(offset: number, length: number): Promise<Buffer>;
  close(): void;
}

export interface NativeBinding {
  bindings: string[];
  sanitizer: string;
  napiVersion: number;

  crc32c(bytes: Uint8Array, seed: number): number;
  inflateSync(bytes: Uint8Array, format: 0 | 1 | 2, maxOutput: number): Buffer;
  /** Absent from builds that predate it (native/src/codec_binding.cc). */
  snappyUncompressSync?(bytes: Uint8Array, maxOutput: number): Buffer;

  readTopology(sysfsRoot: string): { nodes: NativeTopologyNode[]; source: string };
  Pool: new (opts: { workers: number; sysfsRoot: string; pin: boolean }) => NativePool;

  sendfile(outFd: number, inFd: number, offset: number, length: number): Promise<number>;

  DirectFile: {
    open(path: string, opts: { dsync: boolean; direct: boolean; writeBehindBytes: number }): NativeDirectFile;
    /** The process's direct-I/O totals (agent/native/direct-io.ts `directIoTotals`); absent from builds that predate it. */
    totals?(): DirectIoTotals;
  };

  sdNotify(socketPath: string, state: string): void;

  /** Absent from builds that predate it (native/src/timex_binding.cc). */
  adjtimex?(): NativeTimex;

  StatsdReceiver: new (opts: NativeStatsdOptions) => NativeStatsdReceiver;
}

/** struct timex as adjtimex(2) with modes 0 fills it, plus the call's return value (`state`, TIME_OK..TIME_ERROR). */
export interface NativeTimex {
  state: number;
  offset: number;
  freq: number;
  maxerror: number;
  esterror: number;
  status: number;
  constant: number;
  precision: number;
  tolerance: number;
  tick: number;
  ppsfreq: number;
  jitter: number;
  shift: number;
  stabil: number;
  jitcnt: number;
  calcnt: number;
  errcnt: number;
  stbcnt: number;
  tai: number;
}

/** One listener of the StatsD receiver, as the addon takes it. */
export type NativeStatsdListener = { unix: true; path: string; mode: number } | { unix: false; host: string; port: number; family: 4 | 6 };

export interface NativeStatsdOptions {
  listeners: NativeStatsdListener[];
  receiveBuffer: number;
  maxPacket: number;
  threads: number;
  maxKeys: number;
  ringBytes: number;
}

export interface NativeStatsdBound {
  unix: boolean;
  address: string;
  port: number;
  family: 4 | 6;
  path: string;
  receiveBuffer: number;
  sockets: number;
}

/** Interval statistics of a drain (see native/src/statsd_binding.cc). */
export interface NativeStatsdStats {
  packets: number;
  bytes: number;
  lines: number;
  tooLarge: number;
  events: number;
  overflow: number;
  /** Service checks by status 0..3. */
  serviceChecks: number[];
  /** Invalid lines by reason. */
  invalid: Record<string, number>;
  /** Parts of accepted lines left out, by reason. */
  skipped: Record<string, number>;
  samples: Array<{ reason: string; line: string }>;
}

export interface NativeStatsdSketch {
  /** Entry of the chunk it belongs to. */
  i: number;
  n: number;
  s: number;
  min: number;
  max: number;
  z: number;
  po: number;
  pc: Float64Array;
  no: number;
  nc: Float64Array;
}

/** One chunk of a drain, columnar: entry k is column[k]. */
export interface NativeStatsdChunk {
  /** statsd::MetricType: 0 c, 1 g, 2 ms, 3 h, 4 s, 5 d. */
  t: Uint8Array;
  /** Gauge is relative. */
  r: Uint8Array;
  v: Float64Array;
  /** Unix seconds, 0 when none. */
  ts: Float64Array;
  n: string[];
  g: string[];
  sk: NativeStatsdSketch[];
}

export interface NativeStatsdReceiver {
  open(): NativeStatsdBound[];
  start(): void;
  drain(): NativeStatsdStats;
  next(max: number): NativeStatsdChunk;
  processed(): number;
  stop(): void;
}
