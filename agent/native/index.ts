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

import type * as Crc32c from './crc32c';
import type * as Pool from './pool';
import type * as Topology from './topology';
import type * as Snappy from './snappy';
import type * as Inflate from './inflate';
import type * as SendFile from './sendfile';
import type * as DirectIo from './direct-io';

// The primitives below are exported on first use (see exportOnFirstUse at the end): an importer of this module for
// its errors or status (the StatsD receiver) does not load the thread pool, sendfile and direct I/O wrappers.
export declare const crc32c: typeof Crc32c.crc32c, crc32cTs: typeof Crc32c.crc32cTs, crc32cNative: typeof Crc32c.crc32cNative;

export declare const createThreadPool: typeof Pool.createThreadPool,
  sharedThreadPool: typeof Pool.sharedThreadPool,
  readTopology: typeof Pool.readTopology,
  NativeThreadPool: typeof Pool.NativeThreadPool,
  TwinThreadPool: typeof Pool.TwinThreadPool;
export type NativeThreadPool = Pool.NativeThreadPool;
export type TwinThreadPool = Pool.TwinThreadPool;
export type { ThreadPool, ThreadPoolOptions, PoolStats, WorkerStats, SubmitOptions } from './pool';
export declare const readTopologyTs: typeof Topology.readTopologyTs, parseCpuList: typeof Topology.parseCpuList;
export type { Topology, CpuNode } from './topology';
export declare const snappyCompressTs: typeof Snappy.snappyCompressTs, snappyUncompress: typeof Snappy.snappyUncompress, snappyUncompressTs: typeof Snappy.snappyUncompressTs;
export declare const inflateSync: typeof Inflate.inflateSync, inflateSyncTs: typeof Inflate.inflateSyncTs, inflateSyncNative: typeof Inflate.inflateSyncNative;
export type { InflateFormat } from './inflate';

export declare const sendFile: typeof SendFile.sendFile, sendFileNative: typeof SendFile.sendFileNative, sendFileTwin: typeof SendFile.sendFileTwin;
export type { SendFileOptions, SendFileTarget, SendFileSource } from './sendfile';
export declare const openAppendFile: typeof DirectIo.openAppendFile,
  openAppendFileNative: typeof DirectIo.openAppendFileNative,
  openAppendFileTwin: typeof DirectIo.openAppendFileTwin,
  parseDioTrailer: typeof DirectIo.parseDioTrailer,
  DIO_TRAILER_BYTES: typeof DirectIo.DIO_TRAILER_BYTES,
  DIO_TRAILER_MAGIC: typeof DirectIo.DIO_TRAILER_MAGIC;
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

/* eslint-disable @typescript-eslint/no-require-imports */
exportOnFirstUse(() => require('./crc32c'), ['crc32c', 'crc32cTs', 'crc32cNative']);
exportOnFirstUse(() => require('./pool'), ['createThreadPool', 'sharedThreadPool', 'readTopology', 'NativeThreadPool', 'TwinThreadPool']);
exportOnFirstUse(() => require('./topology'), ['readTopologyTs', 'parseCpuList']);
exportOnFirstUse(() => require('./snappy'), ['snappyCompressTs', 'snappyUncompress', 'snappyUncompressTs']);
exportOnFirstUse(() => require('./inflate'), ['inflateSync', 'inflateSyncTs', 'inflateSyncNative']);
exportOnFirstUse(() => require('./sendfile'), ['sendFile', 'sendFileNative', 'sendFileTwin']);
exportOnFirstUse(() => require('./direct-io'), ['openAppendFile', 'openAppendFileNative', 'openAppendFileTwin', 'parseDioTrailer', 'DIO_TRAILER_BYTES', 'DIO_TRAILER_MAGIC']);
/* eslint-enable @typescript-eslint/no-require-imports */

/** Defines `names` on this module's exports as getters that require their module the first time one is read. */
function exportOnFirstUse(load: () => Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });
}
