/**
 * Outrider's native layer: the API the StatsD receiver, the reporter and the
 * spool build on. Every primitive has a native implementation (the addon,
 * Linux) and a pure-TS twin with the same behaviour; the choice is made once
 * at load ({@link nativeStatus} says which and why). `OUTRIDER_NATIVE=0`
 * forces the twins.
 *
 * Errors are {@link OutriderError}s with stable codes ({@link ErrorCode}).
 */
export { ErrorCode, OutriderError } from './errors';
export type { OutriderErrorOptions } from './errors';
export { nativeStatus } from './loader';
export type { NativeStatus } from './loader';

export {
  createRing,
  RingProducer,
  RingConsumer,
  ringDoorbell,
  ringRecordSize,
  ringMaxRecordLength,
  RING_HEADER_BYTES,
  RING_MIN_CAPACITY,
  RING_MAX_CAPACITY,
} from './ring';
export type { RingWaitResult, RingRecordFn } from './ring';
export { runNativeRingProducer, runNativeRingConsumer, benchNativeRing } from './ring-native';
export type { RingPatternOptions, RingRunSummary } from './ring-native';
export { runRingWorker } from './ring-worker';
export type { RingWorkerOptions } from './ring-worker';
export { RecordChecksum, patternFill, patternLength } from './ring-pattern';
export type { RingPattern } from './ring-pattern';

export { crc32c, crc32cTs, crc32cNative } from './crc32c';
