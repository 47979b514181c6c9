/**
 * Codes of the native layer. Every error thrown by `agent/native` for bad
 * input or a failed system call is the agent's one {@link OutriderError}
 * (`core/errors.ts`, so `isOutriderError` recognises it) whose `code` is one
 * of {@link ErrorCode}; codes are stable API, messages are not.
 */
import { OutriderError, type OutriderErrorOptions } from '../core/errors';

export { OutriderError, isOutriderError } from '../core/errors';
export type { OutriderErrorOptions } from '../core/errors';

/** Stable error codes. */
export const ErrorCode = {
  /** An argument has the wrong type or is out of range. */
  INVALID_ARG: 'OUTRIDER_ERR_INVALID_ARG',
  /** Ring capacity is not a power of two in [64, 2^30]. */
  RING_CAPACITY: 'OUTRIDER_ERR_RING_CAPACITY',
  /** The buffer given is not an initialised ring. */
  RING_INVALID: 'OUTRIDER_ERR_RING_INVALID',
  /** A record is longer than the ring's maximum (capacity/2 - 4). */
  RING_RECORD_TOO_LARGE: 'OUTRIDER_ERR_RING_RECORD_TOO_LARGE',
  /** Blocking wait where it is not allowed (Atomics.wait on the main thread). */
  RING_WAIT_NOT_ALLOWED: 'OUTRIDER_ERR_RING_WAIT_NOT_ALLOWED',
  /** The pool was closed; the task was not run (or not completed). */
  POOL_CLOSED: 'OUTRIDER_ERR_POOL_CLOSED',
  /** A pool task failed (corrupt compressed input, for example). */
  POOL_TASK: 'OUTRIDER_ERR_POOL_TASK',
  /** sendfile failed; `errno`/`syscall` say why. */
  SENDFILE: 'OUTRIDER_ERR_SENDFILE',
  /** The file is shorter than the requested range. */
  SENDFILE_SHORT: 'OUTRIDER_ERR_SENDFILE_SHORT',
  /** Direct I/O file operation failed; `errno`/`syscall` say why. */
  DIO: 'OUTRIDER_ERR_DIO',
  /** The file's trailer is missing or corrupt. */
  DIO_CORRUPT: 'OUTRIDER_ERR_DIO_CORRUPT',
  /** The direct I/O file is closed. */
  DIO_CLOSED: 'OUTRIDER_ERR_DIO_CLOSED',
  /** sd_notify could not send; `errno` says why. */
  NOTIFY: 'OUTRIDER_ERR_NOTIFY',
  /** adjtimex(2) failed; `errno` says why. */
  TIMEX: 'OUTRIDER_ERR_TIMEX',
  /** The native addon is required for this call and is not loaded. */
  NATIVE_UNAVAILABLE: 'OUTRIDER_ERR_NATIVE_UNAVAILABLE',
  /** The StatsD receiver cannot bind a listener; `details.listener` is its index, `errno` why. */
  STATSD_LISTEN: 'OUTRIDER_ERR_STATSD_LISTEN',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An {@link OutriderError} of the native layer: one of {@link ErrorCode}, errno data when a system call failed. */
export function nativeError(code: ErrorCode, message: string, options: OutriderErrorOptions = {}): OutriderError {
  return new OutriderError(code, message, undefined, options);
}

/** Throws INVALID_ARG unless `cond`. */
export function check(cond: unknown, message: string, code: ErrorCode = ErrorCode.INVALID_ARG): asserts cond {
  if (!cond) throw nativeError(code, message);
}

/** Wraps an error from the addon (which carries an errno-style `code`) in an OutriderError. */
export function fromNative(code: ErrorCode, what: string, err: unknown): OutriderError {
  if (err instanceof OutriderError) return err;
  const e = err as { code?: unknown; syscall?: unknown; message?: unknown } | undefined;
  const errno = typeof e?.code === 'string' ? e.code : undefined;
  const syscall = typeof e?.syscall === 'string' ? e.syscall : undefined;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return nativeError(code, `${what}: ${msg}`, { cause: err, errno, syscall });
}
