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

export { createThreadPool, sharedThreadPool, readTopology, NativeThreadPool, TwinThreadPool } from './pool';
export type { ThreadPool, ThreadPoolOptions, PoolStats, WorkerStats, SubmitOptions } from './pool';
export { readTopologyTs, parseCpuList } from './topology';
export type { Topology, CpuNode } from './topology';
export { snappyCompressTs, snappyUncompressTs } from './snappy';
export { inflateSync, inflateSyncTs, inflateSyncNative } from './inflate';
export type { InflateFormat } from './inflate';

export { sendFile, sendFileNative, sendFileTwin } from './sendfile';
export type { SendFileOptions, SendFileTarget, SendFileSource } from './sendfile';
export { openAppendFile, openAppendFileNative, openAppendFileTwin, parseDioTrailer, DIO_TRAILER_BYTES, DIO_TRAILER_MAGIC } from './direct-io';
export type { AppendFile, AppendFileOptions } from './direct-io';
export {
  sdNotify,
  sdNotifyNative,
  sdNotifyTwin,
  notifyReady,
  notifyStatus,
  notifyWatchdog,
  notifyStopping,
  notifyReloading,
  notifyMainPid,
} from './sd-notify';
export type { SdNotifyResult, SdNotifyState } from './sd-notify';
