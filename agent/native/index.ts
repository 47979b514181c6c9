/**
 * Outrider's native layer: the API the StatsD receiver, the reporter and the
 * spool build on. Every primitive has a native implementation (the addon,
 * Linux) and a pure-TS twin with the same behaviour; the choice is made once
 * at load ({@link nativeStatus} says which and why). `OUTRIDER_NATIVE=0`
 * forces the twins.
 *
 * Errors are the agent's one {@link OutriderError} class with stable codes
 * ({@link ErrorCode}). Nothing outside this directory touches the addon.
 */
export { ErrorCode, OutriderError, isOutriderError } from './errors';
export type { OutriderErrorOptions } from './errors';
export { nativeStatus } from './loader';
export type { NativeStatus } from './loader';

export { crc32c, crc32cTs, crc32cNative } from './crc32c';

export { createThreadPool, sharedThreadPool, readTopology, NativeThreadPool, TwinThreadPool } from './pool';
export type { ThreadPool, ThreadPoolOptions, PoolStats, WorkerStats, SubmitOptions } from './pool';
export { readTopologyTs, parseCpuList } from './topology';
export type { Topology, CpuNode } from './topology';
export { snappyCompressTs, snappyUncompress, snappyUncompressTs } from './snappy';
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
export type { SdNotifyResult, SdNotifyState, NotifyTransport, NotifySend } from './sd-notify';
export { notifyTransport, haveSystemdNotify, watchdogIntervalMs, monotonicUsec, oneLine } from './sd-notify';
export { createStatsdReceiver } from './statsd-receiver';
export type { StatsdReceiver, StatsdReceiverOptions, StatsdListenerSpec, StatsdBound, StatsdChunk, StatsdStats } from './statsd-receiver';
