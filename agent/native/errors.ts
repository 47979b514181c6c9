/**
 * Coded errors of the native layer. Self-contained on purpose: no imports, so
 * the core team can move it without dragging the native layer along.
 *
 * Every error thrown by `agent/native` for bad input or a failed system call
 * is an {@link OutriderError} whose `code` is one of {@link ErrorCode}; codes
 * are stable API, messages are not.
 */

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
  /** The native addon is required for this call and is not loaded. */
  NATIVE_UNAVAILABLE: 'OUTRIDER_ERR_NATIVE_UNAVAILABLE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface OutriderErrorOptions {
  cause?: unknown;
  /** errno name (`EPIPE`), when a system call failed. */
  errno?: string;
  /** The failing system call (`sendfile`, `pwrite`...). */
  syscall?: string;
}

/** An error with a stable {@link ErrorCode}. */
export class OutriderError extends Error {
  readonly code: ErrorCode;
  readonly errno?: string;
  readonly syscall?: string;

  constructor(code: ErrorCode, message: string, options: OutriderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutriderError';
    this.code = code;
    if (options.errno !== undefined) this.errno = options.errno;
    if (options.syscall !== undefined) this.syscall = options.syscall;
  }
}

/** Throws INVALID_ARG unless `cond`. */
export function check(cond: unknown, message: string, code: ErrorCode = ErrorCode.INVALID_ARG): asserts cond {
  if (!cond) throw new OutriderError(code, message);
}

/** Wraps an error from the addon (which carries an errno-style `code`) in an OutriderError. */
export function fromNative(code: ErrorCode, what: string, err: unknown): OutriderError {
  if (err instanceof OutriderError) return err;
  const e = err as { code?: unknown; syscall?: unknown; message?: unknown } | undefined;
  const errno = typeof e?.code === 'string' ? e.code : undefined;
  const syscall = typeof e?.syscall === 'string' ? e.syscall : undefined;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return new OutriderError(code, `${what}: ${msg}`, { cause: err, errno, syscall });
}
