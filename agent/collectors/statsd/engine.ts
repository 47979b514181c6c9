/** The receive-and-aggregate path, chosen once at start: native receiver threads or the pure-TS dgram twin. */
import type { Drained } from './aggregate';
import type { ListenSpec } from './listen';

export interface BoundListener {
  url: string;
  kind: 'udp' | 'unix';
  /** Address and port actually bound (port 0 resolved). */
  address: string;
  port: number;
  family: 4 | 6;
  path?: string;
  /** SO_RCVBUF the kernel granted (bytes, as getsockopt reports it), 0 when unknown. */
  receiveBuffer: number;
}

export interface EngineOptions {
  listen: ListenSpec[];
  receiveBufferBytes: number;
  maxPacketBytes: number;
  socketMode: number;
  receiverThreads: number;
  /** Bound on distinct keys aggregated within one interval. */
  maxKeysPerInterval: number;
}

export interface StatsdEngine {
  readonly kind: 'native' | 'ts';
  /** Binds every listener; throws OutriderError OUTRIDER_ERR_STATSD_LISTEN naming the first that failed. */
  start(): Promise<BoundListener[]>;
  /** Everything aggregated since the previous drain. */
  drain(): Drained;
  /** Packets taken off the sockets and fully processed so far (monotonic; tests wait on it). */
  processedPackets(): number;
  stop(): Promise<void>;
}
