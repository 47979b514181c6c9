/**
 * The one coded error class of the agent, native layer included
 * (`agent/native/errors.ts` lists that layer's codes). Callers branch on
 * `code`, never on message text. Codes are stable: OUTRIDER_ERR_<AREA>_<WHAT>.
 */
export interface OutriderErrorOptions {
  cause?: unknown;
  /** errno name (`EPIPE`), when a system call failed. */
  errno?: string;
  /** The failing system call (`sendfile`, `pwrite`...). */
  syscall?: string;
}

export class OutriderError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;
  readonly errno?: string;
  readonly syscall?: string;

  constructor(code: string, message: string, details?: Record<string, unknown>, options: OutriderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutriderError';
    this.code = code;
    if (details !== undefined) this.details = details;
    if (options.errno !== undefined) this.errno = options.errno;
    if (options.syscall !== undefined) this.syscall = options.syscall;
  }
}

export function isOutriderError(err: unknown, code?: string): err is OutriderError {
  return err instanceof OutriderError && (code === undefined || err.code === code);
}

/** Process exit codes used by the CLI. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  badConfig: 2,
} as const;
