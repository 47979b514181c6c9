/**
 * SPSC ring of variable-length records in a SharedArrayBuffer: the JS side
 * of the C++ ring, for its tests and benchmarks (the agent's ring traffic is
 * all inside the native StatsD receiver, thread to thread).
 *
 * Byte layout (little-endian u32 words; identical to native/src/ring/spsc_ring.h):
 *
 *   offset  field     owner     meaning
 *   0       magic     creator   0x474E5252 ("RRNG")
 *   4       version   creator   1
 *   8       capacity  creator   data bytes, power of two, 64 .. 2^30
 *   64      write     producer  free-running byte counter (mod 2^32)
 *   128     read      consumer  free-running byte counter (mod 2^32)
 *   192     waiters   both      bit flags of sleeping sides (WAIT_* below)
 *   196     closed    producer  1 once the producer closed the ring
 *   256     data[capacity]
 *
 * `write` and `read` sit on separate 64-byte cache lines; each side caches
 * the other's counter and reloads it only when the cache says full / empty.
 * A record is a u32 length then the payload, padded to 4 bytes. A record never
 * wraps: if it does not fit before the end of the data area the producer
 * writes the wrap marker 0xFFFFFFFF and continues at offset 0. The largest
 * payload is capacity/2 - 4. A full ring refuses the push; nothing is ever
 * overwritten.
 *
 * Either end may be JS (main thread or a worker) or native (a C++ thread of
 * the addon). Sleeping never spins: a consumer that found the ring empty sets
 * its waiter bit, re-checks `write`, then sleeps on the `write` word —
 * `Atomics.wait` in a worker, `Atomics.waitAsync` on the main thread, futex(2)
 * natively. After publishing, the producer reads `waiters` and wakes the
 * sleepers it can reach: JS sleepers by `Atomics.notify`, native ones through
 * the addon's `ringWake` (futex). A native side reaches JS sleepers through a
 * doorbell function ({@link ringDoorbell}) it calls on the JS thread. The
 * producer waiting for space does the same on `read`.
 */
import { ErrorCode, OutriderError, check } from '../../../agent/native/errors';
import { tryNativeTestBinding } from '../support/testing-binding';

export const RING_MAGIC = 0x474e5252;
export const RING_VERSION = 1;
export const RING_HEADER_BYTES = 256;
export const RING_MIN_CAPACITY = 64;
export const RING_MAX_CAPACITY = 2 ** 30;
const WRAP = 0xffffffff;

// Int32 indices of the header words.
const I_MAGIC = 0;
const I_VERSION = 1;
const I_CAPACITY = 2;
const I_WRITE = 64 / 4;
const I_READ = 128 / 4;
const I_WAITERS = 192 / 4;
const I_CLOSED = 196 / 4;

export const WAIT_DATA_ATOMICS = 1;
export const WAIT_DATA_FUTEX = 2;
export const WAIT_SPACE_ATOMICS = 4;
export const WAIT_SPACE_FUTEX = 8;

/** Result of a wait. */
export type RingWaitResult = 'ready' | 'timed-out' | 'closed';

/** Bytes a record of `len` payload bytes occupies in the ring. */
export function ringRecordSize(len: number): number {
  return 4 + ((len + 3) & ~3);
}

/** Largest payload a ring of `capacity` data bytes accepts. */
export function ringMaxRecordLength(capacity: number): number {
  return capacity / 2 - 4;
}

function isValidCapacity(capacity: unknown): capacity is number {
  return (
    typeof capacity === 'number' &&
    Number.isInteger(capacity) &&
    capacity >= RING_MIN_CAPACITY &&
    capacity <= RING_MAX_CAPACITY &&
    (capacity & (capacity - 1)) === 0
  );
}

/**
 * Allocates and initialises a ring with `capacity` data bytes (a power of two
 * in [64, 2^30]); the SharedArrayBuffer is `capacity + 256` bytes. Pass it to
 * a worker with postMessage, or to the addon, to attach the other end.
 * @throws OutriderError OUTRIDER_ERR_RING_CAPACITY
 */
export function createRing(capacity: number): SharedArrayBuffer {
  if (!isValidCapacity(capacity)) {
    throw new OutriderError(
      ErrorCode.RING_CAPACITY,
      `ring capacity must be a power of two between ${RING_MIN_CAPACITY} and ${RING_MAX_CAPACITY}, got ${String(capacity)}`,
    );
  }
  const sab = new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
  const i32 = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  i32[I_MAGIC] = RING_MAGIC | 0;
  i32[I_VERSION] = RING_VERSION;
  Atomics.store(i32, I_CAPACITY, capacity | 0);
  return sab;
}

/** Validates `sab` as a ring and returns its capacity. */
function attach(sab: SharedArrayBuffer): number {
  check(sab instanceof SharedArrayBuffer, 'ring: a SharedArrayBuffer is required', ErrorCode.RING_INVALID);
  check(sab.byteLength >= RING_HEADER_BYTES, 'ring: buffer too small for a ring header', ErrorCode.RING_INVALID);
  const i32 = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  const magic = Atomics.load(i32, I_MAGIC) >>> 0;
  const version = Atomics.load(i32, I_VERSION);
  const capacity = Atomics.load(i32, I_CAPACITY) >>> 0;
  check(magic === RING_MAGIC && version === RING_VERSION, 'ring: bad magic or version (not created by createRing)', ErrorCode.RING_INVALID);
  check(isValidCapacity(capacity) && sab.byteLength >= RING_HEADER_BYTES + capacity, 'ring: header capacity does not match the buffer', ErrorCode.RING_INVALID);
  return capacity;
}

// Atomics.waitAsync is in Node 20 but not in the ES2022 lib typings.
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t: number) => WaitAsyncResult }).waitAsync;

function canBlock(): boolean {
  // Atomics.wait throws on Node's main thread.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return !(require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread;
}

function validTimeout(ms: number): number {
  check(typeof ms === 'number' && !Number.isNaN(ms) && ms >= 0, `ring: timeout must be a number >= 0, got ${String(ms)}`);
  return ms;
}

abstract class RingEnd {
  /** The ring's whole buffer as bytes (header + data); records live at offsets >= 256. */
  readonly bytes: Uint8Array;
  readonly capacity: number;
  readonly maxRecordLength: number;
  protected readonly i32: Int32Array;
  protected readonly u32: Uint32Array;
  protected readonly mask: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.capacity = attach(buffer);
    this.maxRecordLength = ringMaxRecordLength(this.capacity);
    this.bytes = new Uint8Array(buffer, 0, RING_HEADER_BYTES + this.capacity);
    this.i32 = new Int32Array(buffer, 0, (RING_HEADER_BYTES + this.capacity) / 4);
    this.u32 = new Uint32Array(buffer, 0, (RING_HEADER_BYTES + this.capacity) / 4);
    this.mask = this.capacity - 1;
  }

  /** True once the producer closed the ring. */
  get closed(): boolean {
    return Atomics.load(this.i32, I_CLOSED) !== 0;
  }

  /** Bytes currently used by records (and wrap padding). */
  used(): number {
    return (Atomics.load(this.i32, I_WRITE) - Atomics.load(this.i32, I_READ)) >>> 0;
  }

  protected wakeFutex(which: 0 | 1): void {
    const b = tryNativeTestBinding();
    if (b) b.ringWake(this.bytes, which);
  }

  // Sleeps on word `index` while it holds `expected`, with waiter bit `bit`.
  protected sleepSync(index: number, expected: number, bit: number, timeoutMs: number): boolean {
    Atomics.or(this.i32, I_WAITERS, bit);
    let ok = true;
    if (Atomics.load(this.i32, index) === expected && Atomics.load(this.i32, I_CLOSED) === 0) {
      ok = Atomics.wait(this.i32, index, expected, timeoutMs) !== 'timed-out';
    }
    Atomics.and(this.i32, I_WAITERS, ~bit);
    return ok;
  }

  protected async sleepAsync(index: number, expected: number, bit: number, timeoutMs: number): Promise<boolean> {
    Atomics.or(this.i32, I_WAITERS, bit);
    let ok = true;
    try {
      if (Atomics.load(this.i32, index) === expected && Atomics.load(this.i32, I_CLOSED) === 0) {
        const r = waitAsync(this.i32, index, expected, timeoutMs);
        if (r.async) {
          // A pending waitAsync does not keep the event loop alive; the timer
          // does, so the timeout (and the caller) is honoured. The margin covers
          // a loaded machine delivering the waitAsync timeout late: a timer that
          // fired first would leave the loop empty and the process would exit
          // with the wait still pending. It is cleared as soon as the wait ends.
          const keepAlive = setTimeout(() => {}, timeoutMs + 1000);
          try {
            ok = (await r.value) !== 'timed-out';
          } finally {
            clearTimeout(keepAlive);
          }
        } else {
          ok = r.value !== 'timed-out';
        }
      }
    } finally {
      Atomics.and(this.i32, I_WAITERS, ~bit);
    }
    return ok;
  }
}

/**
 * The producing end of a ring. Exactly one producer per ring, on one thread.
 * Records are copied into the ring; `push` publishes at once, `stage` +
 * `publish` amortise the publication (and any wake-up) over a batch.
 */
export class RingProducer extends RingEnd {
  private write: number;
  private cachedRead: number;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.write = Atomics.load(this.i32, I_WRITE) >>> 0;
    this.cachedRead = Atomics.load(this.i32, I_READ) >>> 0;
  }

  /**
   * Copies `length` bytes of `src` from `offset` into the ring without
   * publishing. Returns false (nothing written) when the ring is full.
   * @throws OUTRIDER_ERR_RING_RECORD_TOO_LARGE, OUTRIDER_ERR_INVALID_ARG
   */
  stage(src: Uint8Array, offset = 0, length = src.length - offset): boolean {
    if (!(src instanceof Uint8Array)) throw new OutriderError(ErrorCode.INVALID_ARG, 'ring: record must be a Uint8Array');
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > src.length) {
      throw new OutriderError(ErrorCode.INVALID_ARG, `ring: bad record range ${offset}+${length} of ${src.length}`);
    }
    if (length > this.maxRecordLength) {
      throw new OutriderError(ErrorCode.RING_RECORD_TOO_LARGE, `ring: record of ${length} bytes exceeds the maximum ${this.maxRecordLength}`);
    }
    const total = 4 + ((length + 3) & ~3);
    let off = this.write & this.mask;
    const toEnd = this.capacity - off;
    const need = total <= toEnd ? total : toEnd + total;
    if (this.capacity - ((this.write - this.cachedRead) >>> 0) < need) {
      this.cachedRead = Atomics.load(this.i32, I_READ) >>> 0;
      if (this.capacity - ((this.write - this.cachedRead) >>> 0) < need) return false;
    }
    if (total > toEnd) {
      this.u32[(RING_HEADER_BYTES + off) >> 2] = WRAP;
      this.write = (this.write + toEnd) >>> 0;
      off = 0;
    }
    const at = RING_HEADER_BYTES + off;
    this.u32[at >> 2] = length;
    if (length !== 0) this.bytes.set(length === src.length ? src : src.subarray(offset, offset + length), at + 4);
    this.write = (this.write + total) >>> 0;
    return true;
  }

  /** Makes staged records visible to the consumer and wakes it if asleep. */
  publish(): void {
    Atomics.store(this.i32, I_WRITE, this.write | 0);
    const waiters = Atomics.load(this.i32, I_WAITERS);
    if (waiters & WAIT_DATA_ATOMICS) Atomics.notify(this.i32, I_WRITE);
    if (waiters & WAIT_DATA_FUTEX) this.wakeFutex(0);
  }

  /** Pushes and publishes one record; false when the ring is full. */
  push(record: Uint8Array): boolean {
    if (!this.stage(record)) return false;
    this.publish();
    return true;
  }

  /**
   * Pushes records in order until one does not fit; publishes once.
   * Returns how many were pushed (from the start of `records`).
   */
  pushBatch(records: readonly Uint8Array[]): number {
    let n = 0;
    while (n < records.length && this.stage(records[n]!)) n++;
    if (n > 0) this.publish();
    return n;
  }

  private spaceFor(len: number): boolean {
    const total = 4 + ((len + 3) & ~3);
    const off = this.write & this.mask;
    const toEnd = this.capacity - off;
    const need = total <= toEnd ? total : toEnd + total;
    this.cachedRead = Atomics.load(this.i32, I_READ) >>> 0;
    return this.capacity - ((this.write - this.cachedRead) >>> 0) >= need;
  }

  /**
   * Blocks (Atomics.wait; workers only) until a record of `len` bytes fits,
   * `timeoutMs` passes, or the ring is closed.
   * @throws OUTRIDER_ERR_RING_WAIT_NOT_ALLOWED on the main thread
   */
  waitForSpace(len: number, timeoutMs: number): RingWaitResult {
    validTimeout(timeoutMs);
    if (!canBlock()) throw new OutriderError(ErrorCode.RING_WAIT_NOT_ALLOWED, 'ring: blocking wait on the main thread; use waitForSpaceAsync');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closed) return 'closed';
      const read = Atomics.load(this.i32, I_READ);
      if (this.spaceFor(len)) return 'ready';
      const left = deadline - Date.now();
      if (left <= 0 || !this.sleepSync(I_READ, read, WAIT_SPACE_ATOMICS, left)) return this.spaceFor(len) ? 'ready' : 'timed-out';
    }
  }

  /** Like {@link waitForSpace} without blocking the thread (Atomics.waitAsync). */
  async waitForSpaceAsync(len: number, timeoutMs: number): Promise<RingWaitResult> {
    validTimeout(timeoutMs);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closed) return 'closed';
      const read = Atomics.load(this.i32, I_READ);
      if (this.spaceFor(len)) return 'ready';
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.sleepAsync(I_READ, read, WAIT_SPACE_ATOMICS, left))) {
        return this.spaceFor(len) ? 'ready' : 'timed-out';
      }
    }
  }

  /** Publishes what is staged and marks the ring closed; wakes every sleeper. */
  close(): void {
    this.publish();
    Atomics.store(this.i32, I_CLOSED, 1);
    Atomics.notify(this.i32, I_WRITE);
    Atomics.notify(this.i32, I_READ);
    this.wakeFutex(0);
    this.wakeFutex(1);
  }
}

/** Callback of {@link RingConsumer.drain}: the record is `bytes[offset, offset+length)`. */
export type RingRecordFn = (bytes: Uint8Array, offset: number, length: number) => void;

/**
 * The consuming end of a ring. Exactly one consumer per ring, on one thread.
 * `drain` hands out records in place (no copy, no allocation per record);
 * `pop` / `popBatch` return copies.
 */
export class RingConsumer extends RingEnd {
  private read: number;
  private cachedWrite: number;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.read = Atomics.load(this.i32, I_READ) >>> 0;
    this.cachedWrite = Atomics.load(this.i32, I_WRITE) >>> 0;
  }

  /**
   * Calls `fn(bytes, offset, length)` for up to `max` records, then frees
   * their space with one store. The view is valid only during the call: copy
   * what you keep. If `fn` throws, the records before it and the one that
   * threw count as consumed and the error propagates.
   */
  drain(fn: RingRecordFn, max = Number.MAX_SAFE_INTEGER): number {
    const u32 = this.u32;
    const bytes = this.bytes;
    const mask = this.mask;
    let pos = this.read;
    let count = 0;
    try {
      while (count < max) {
        if (pos === this.cachedWrite) {
          this.cachedWrite = Atomics.load(this.i32, I_WRITE) >>> 0;
          if (pos === this.cachedWrite) break;
        }
        const off = pos & mask;
        const len = u32[(RING_HEADER_BYTES + off) >> 2]!;
        if (len === WRAP) {
          pos = (pos + this.capacity - off) >>> 0;
          continue;
        }
        pos = (pos + 4 + ((len + 3) & ~3)) >>> 0;
        count++;
        fn(bytes, RING_HEADER_BYTES + off + 4, len);
      }
    } finally {
      if (pos !== this.read) this.release(pos);
    }
    return count;
  }

  /** Removes and returns a copy of the next record, or null when empty. */
  pop(): Uint8Array | null {
    let out: Uint8Array | null = null;
    this.drain((b, o, l) => {
      out = b.slice(o, o + l);
    }, 1);
    return out;
  }

  /** Removes up to `max` records and returns copies of them. */
  popBatch(max: number): Uint8Array[] {
    check(Number.isInteger(max) && max >= 0, `ring: max must be an integer >= 0, got ${String(max)}`);
    const out: Uint8Array[] = [];
    this.drain((b, o, l) => {
      out.push(b.slice(o, o + l));
    }, max);
    return out;
  }

  /** True when at least one record (or wrap marker) is waiting. */
  hasData(): boolean {
    return (Atomics.load(this.i32, I_WRITE) >>> 0) !== this.read;
  }

  private release(pos: number): void {
    this.read = pos;
    Atomics.store(this.i32, I_READ, pos | 0);
    const waiters = Atomics.load(this.i32, I_WAITERS);
    if (waiters & WAIT_SPACE_ATOMICS) Atomics.notify(this.i32, I_READ);
    if (waiters & WAIT_SPACE_FUTEX) this.wakeFutex(1);
  }

  /**
   * Blocks (Atomics.wait; workers only) until a record is available,
   * `timeoutMs` passes, or the producer closed an empty ring.
   * @throws OUTRIDER_ERR_RING_WAIT_NOT_ALLOWED on the main thread
   */
  wait(timeoutMs: number): RingWaitResult {
    validTimeout(timeoutMs);
    if (!canBlock()) throw new OutriderError(ErrorCode.RING_WAIT_NOT_ALLOWED, 'ring: blocking wait on the main thread; use waitAsync');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const w = Atomics.load(this.i32, I_WRITE);
      if (w >>> 0 !== this.read) return 'ready';
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0 || !this.sleepSync(I_WRITE, w, WAIT_DATA_ATOMICS, left)) return this.hasData() ? 'ready' : 'timed-out';
    }
  }

  /** Like {@link wait} without blocking the thread (Atomics.waitAsync); for the main thread. */
  async waitAsync(timeoutMs: number): Promise<RingWaitResult> {
    validTimeout(timeoutMs);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const w = Atomics.load(this.i32, I_WRITE);
      if (w >>> 0 !== this.read) return 'ready';
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.sleepAsync(I_WRITE, w, WAIT_DATA_ATOMICS, left))) return this.hasData() ? 'ready' : 'timed-out';
    }
  }
}

/**
 * The doorbell a native end of `buffer` calls (on the JS thread) to wake JS
 * sleepers, which futex(2) cannot reach: it notifies both words.
 */
export function ringDoorbell(buffer: SharedArrayBuffer): () => void {
  attach(buffer);
  const i32 = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
  return () => {
    Atomics.notify(i32, I_WRITE);
    Atomics.notify(i32, I_READ);
  };
}
