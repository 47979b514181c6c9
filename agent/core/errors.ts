/**
 * Coded errors. Callers branch on `code`, never on message text.
 * Codes are stable: OUTRIDER_ERR_<AREA>_<WHAT>.
 */
export class OutriderError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutriderError';
    this.code = code;
    if (details !== undefined) this.details = details;
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
