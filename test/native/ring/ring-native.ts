/**
 * Native threads attached to a ring, for tests and benchmarks (the testing
 * addon): a producer that writes the deterministic test pattern and a
 * consumer that checksums what it reads.
 */
import { ErrorCode, check } from '../../../agent/native/errors';
import { nativeTestBinding, type RingPatternOptions, type RingRunSummary } from '../support/testing-binding';
import { RING_HEADER_BYTES, ringDoorbell, ringMaxRecordLength, RingConsumer } from './ring';

export type { RingPatternOptions, RingRunSummary };

const binding = nativeTestBinding;

function view(buffer: SharedArrayBuffer): Uint8Array {
  // Validates the header (throws RING_INVALID) before the addon sees it.
  const c = new RingConsumer(buffer).capacity;
  return new Uint8Array(buffer, 0, RING_HEADER_BYTES + c);
}

/** Runs a native producer thread writing the test pattern into `buffer`. */
export function runNativeRingProducer(buffer: SharedArrayBuffer, opts: RingPatternOptions): Promise<RingRunSummary> {
  const v = view(buffer);
  const max = ringMaxRecordLength(v.length - RING_HEADER_BYTES);
  check(Number.isInteger(opts.count) && opts.count >= 0 && opts.count <= 0xffffffff, 'ring: count must be a u32');
  check(Number.isInteger(opts.minLen) && Number.isInteger(opts.maxLen) && opts.minLen >= 0 && opts.minLen <= opts.maxLen, 'ring: bad minLen/maxLen');
  check(opts.maxLen <= max, `ring: maxLen ${opts.maxLen} exceeds the ring maximum ${max}`, ErrorCode.RING_RECORD_TOO_LARGE);
  if (opts.fixedLen !== undefined) {
    check(Number.isInteger(opts.fixedLen) && opts.fixedLen >= 0, 'ring: fixedLen must be an integer >= 0');
    check(opts.fixedLen <= max, `ring: fixedLen ${opts.fixedLen} exceeds the ring maximum ${max}`, ErrorCode.RING_RECORD_TOO_LARGE);
  }
  return binding().ringProduce(v, opts, ringDoorbell(buffer));
}

/** Runs a native consumer thread that checksums `count` records of `buffer`. */
export function runNativeRingConsumer(buffer: SharedArrayBuffer, opts: { count: number; idleTimeoutMs?: number }): Promise<RingRunSummary> {
  const v = view(buffer);
  check(Number.isInteger(opts.count) && opts.count >= 0 && opts.count <= 0xffffffff, 'ring: count must be a u32');
  return binding().ringConsume(v, opts, ringDoorbell(buffer));
}

/** native -> native throughput over a private ring (two C++ threads). */
export function benchNativeRing(opts: { capacity: number; count: number; recordLen: number; batch: number }): Promise<RingRunSummary> {
  return binding().ringBenchNative(opts);
}
