/**
 * The native StatsD receive path (native/src/net, native/src/statsd):
 * receiver threads (recvmmsg) and aggregator threads behind SPSC rings, all
 * in C++. The JS thread calls in once per flush (`drain` then `next` until an
 * empty chunk), never per packet. Options are validated here; the addon only
 * converts. There is no TS twin of this object: the StatsD collector's TS
 * engine is the twin of the whole receive path.
 */
import type {
  NativeStatsdBound,
  NativeStatsdChunk,
  NativeStatsdListener,
  NativeStatsdReceiver,
  NativeStatsdStats,
} from './binding';
import { ErrorCode, OutriderError, check, nativeError } from './errors';
import { nativeBinding, nativeStatus } from './loader';

export type { NativeStatsdBound as StatsdBound, NativeStatsdChunk as StatsdChunk, NativeStatsdStats as StatsdStats };

export type StatsdListenerSpec = { kind: 'udp'; host: string; port: number; family: 4 | 6 } | { kind: 'unix'; path: string; mode?: number };

export interface StatsdReceiverOptions {
  listeners: StatsdListenerSpec[];
  /** SO_RCVBUF asked for (the kernel may grant less; `open()` says what it granted). Default 8 MiB. */
  receiveBufferBytes?: number;
  /** Largest datagram taken; longer ones are counted as too large. Default 65535. */
  maxPacketBytes?: number;
  /** Receiver threads (SO_REUSEPORT sockets) per UDP listener. Default 1. */
  threads?: number;
  /** Distinct keys aggregated per interval; more are counted as overflow. Default 100000. */
  maxKeys?: number;
  /** Ring between each receiver and its aggregator thread: a power of two, 64 KiB .. 1 GiB. Default 2 MiB. */
  ringBytes?: number;
}

/** A running (once opened) native receiver. */
export interface StatsdReceiver {
  /** Binds every listener; throws STATSD_LISTEN with `details.listener` (index) and `errno`. */
  open(): StatsdBound[];
  /** Starts the receiver and aggregator threads. */
  start(): void;
  /** Takes the interval's aggregates (read them with {@link next}) and returns its statistics. */
  drain(): StatsdStats;
  /** Up to `max` of the drained aggregates, columnar; empty (`n.length === 0`) once all were taken. */
  next(max: number): StatsdChunk;
  /** Packets fully processed so far (monotonic). */
  processed(): number;
  /** Joins the threads and closes the sockets; idempotent (also done at environment teardown). */
  stop(): void;
}

type StatsdBound = NativeStatsdBound;
type StatsdChunk = NativeStatsdChunk;
type StatsdStats = NativeStatsdStats;

const isInt = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

function listener(l: StatsdListenerSpec, i: number): NativeStatsdListener {
  check(l !== null && typeof l === 'object', `statsdReceiver: listeners[${i}] must be an object`);
  if (l.kind === 'unix') {
    check(typeof l.path === 'string' && l.path.length > 0 && !l.path.includes('\0'), `statsdReceiver: listeners[${i}].path must be a non-empty path`);
    const mode = l.mode ?? 0o622;
    check(isInt(mode, 0, 0o7777), `statsdReceiver: listeners[${i}].mode must be a file mode (0..0o7777), got ${String(mode)}`);
    return { unix: true, path: l.path, mode };
  }
  check(l.kind === 'udp', `statsdReceiver: listeners[${i}].kind must be 'udp' or 'unix'`);
  check(typeof l.host === 'string' && l.host.length > 0, `statsdReceiver: listeners[${i}].host must be an IP address`);
  check(isInt(l.port, 0, 65535), `statsdReceiver: listeners[${i}].port must be in 0..65535, got ${String(l.port)}`);
  check(l.family === 4 || l.family === 6, `statsdReceiver: listeners[${i}].family must be 4 or 6`);
  return { unix: false, host: l.host, port: l.port, family: l.family };
}

class Receiver implements StatsdReceiver {
  readonly #raw: NativeStatsdReceiver;
  #opened = false;

  constructor(raw: NativeStatsdReceiver) {
    this.#raw = raw;
  }

  open(): StatsdBound[] {
    check(!this.#opened, 'statsdReceiver: already open');
    try {
      const bound = this.#raw.open();
      this.#opened = true;
      return bound;
    } catch (err) {
      const e = err as { code?: unknown; listener?: unknown; message?: unknown };
      const errno = typeof e.code === 'string' ? e.code : 'EIO';
      const index = typeof e.listener === 'number' ? e.listener : 0;
      const reason = typeof e.message === 'string' ? e.message : String(err);
      throw new OutriderError(ErrorCode.STATSD_LISTEN, `statsdReceiver: listener ${index}: ${reason}`, { listener: index, reason }, { cause: err, errno, syscall: 'bind' });
    }
  }

  start(): void {
    check(this.#opened, 'statsdReceiver: open() first');
    this.#raw.start();
  }

  drain(): StatsdStats {
    return this.#raw.drain();
  }

  next(max: number): StatsdChunk {
    check(isInt(max, 1, 1 << 24), `statsdReceiver: max must be in 1..2^24, got ${String(max)}`);
    return this.#raw.next(max);
  }

  processed(): number {
    return this.#raw.processed();
  }

  stop(): void {
    this.#raw.stop();
  }
}

/** A native StatsD receiver; throws NATIVE_UNAVAILABLE without the addon, INVALID_ARG for bad options. */
export function createStatsdReceiver(opts: StatsdReceiverOptions): StatsdReceiver {
  check(opts !== null && typeof opts === 'object', 'statsdReceiver: options object expected');
  check(Array.isArray(opts.listeners) && opts.listeners.length > 0, 'statsdReceiver: listeners must be a non-empty array');
  const receiveBuffer = opts.receiveBufferBytes ?? 8 << 20;
  const maxPacket = opts.maxPacketBytes ?? 65535;
  const threads = opts.threads ?? 1;
  const maxKeys = opts.maxKeys ?? 100000;
  const ringBytes = opts.ringBytes ?? 2 << 20;
  check(isInt(receiveBuffer, 0, Number.MAX_SAFE_INTEGER), `statsdReceiver: receiveBufferBytes must be an integer >= 0, got ${String(receiveBuffer)}`);
  check(isInt(maxPacket, 1, 65536), `statsdReceiver: maxPacketBytes must be in 1..65536, got ${String(maxPacket)}`);
  check(isInt(threads, 1, 64), `statsdReceiver: threads must be in 1..64, got ${String(threads)}`);
  check(isInt(maxKeys, 1, 2 ** 31), `statsdReceiver: maxKeys must be in 1..2^31, got ${String(maxKeys)}`);
  check(isInt(ringBytes, 1 << 16, 1 << 30) && (ringBytes & (ringBytes - 1)) === 0, `statsdReceiver: ringBytes must be a power of two in 64 KiB..1 GiB, got ${String(ringBytes)}`);
  const listeners = opts.listeners.map(listener);
  const b = nativeBinding();
  if (!b) throw nativeError(ErrorCode.NATIVE_UNAVAILABLE, `statsdReceiver: ${nativeStatus().reason}`);
  return new Receiver(
    new b.StatsdReceiver({ listeners, receiveBuffer: Math.min(receiveBuffer, 0x7fffffff), maxPacket, threads, maxKeys, ringBytes }),
  );
}
