// The testing addon (outrider_native_testing.node): harnesses only the tests
// and benchmarks use (ring threads, a Unix datagram receiver, the codec paths
// compared against each other), built next to the production addon by the same build
// (native/testing/). Loaded from the directory the production addon came
// from, so the ASan and node-gyp runs pair the two builds.
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, OutriderError } from '../../../agent/native/errors';
import { nativeStatus } from '../../../agent/native/loader';

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

export interface NativeTestBinding {
  bindings: string[];
  ringLayout: { headerBytes: number; offWrite: number; offRead: number; offWaiters: number; offClosed: number; magic: number };
  ringWake(view: Uint8Array, which: 0 | 1): void;
  ringProduce(view: Uint8Array, opts: RingPatternOptions, doorbell?: () => void): Promise<RingRunSummary>;
  ringConsume(view: Uint8Array, opts: { count: number; idleTimeoutMs?: number }, doorbell?: () => void): Promise<RingRunSummary>;
  ringBenchNative(opts: { capacity: number; count: number; recordLen: number; batch: number }): Promise<RingRunSummary>;
  crc32cTable(bytes: Uint8Array, seed: number): number;
  crc32cHardware: boolean;
  snappyCompress(bytes: Uint8Array): Buffer;
  snappyUncompress(bytes: Uint8Array): Buffer;
  unixDgramBind(path: string): number;
  unixDgramRecv(fd: number, timeoutMs: number): Promise<Buffer | null>;
  closeFd(fd: number): void;
}

const MODULE_FILE = 'outrider_native_testing.node';

let cached: NativeTestBinding | null | undefined;

/** The testing addon, or null when the production addon is not loaded or has no testing twin beside it. */
export function tryNativeTestBinding(): NativeTestBinding | null {
  if (cached !== undefined) return cached;
  const status = nativeStatus();
  const file = status.available && status.path ? path.join(path.dirname(status.path), MODULE_FILE) : '';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached = file && fs.existsSync(file) ? (require(file) as NativeTestBinding) : null;
  return cached;
}

/** The testing addon; throws NATIVE_UNAVAILABLE when it is not there. */
export function nativeTestBinding(): NativeTestBinding {
  const b = tryNativeTestBinding();
  if (!b) throw new OutriderError(ErrorCode.NATIVE_UNAVAILABLE, `testing addon ${MODULE_FILE} not found beside the production addon`);
  return b;
}
