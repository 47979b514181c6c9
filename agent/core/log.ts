/**
 * Structured logs with pino: JSON lines on stderr, or human-readable lines when stderr is a terminal
 * (log_format auto). Messages are sentences; details go in fields. Secrets are never passed to the logger.
 */
import pino, { Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: string;
  format?: 'auto' | 'json' | 'pretty';
  /** Destination stream (tests); default stderr. */
  stream?: NodeJS.WritableStream;
  name?: string;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const stream = opts.stream ?? process.stderr;
  const pretty = opts.format === 'pretty' || ((opts.format ?? 'auto') === 'auto' && stream === process.stderr && process.stderr.isTTY === true && process.env.OUTRIDER_LOG_PRETTY !== '0');
  const base = { name: opts.name ?? 'outrider', level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (pretty) {
    // pino-pretty as a synchronous stream: no worker thread, lines appear in order with the process's other output.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const prettyFactory = require('pino-pretty') as (o: object) => NodeJS.WritableStream;
    return pino(base, prettyFactory({ colorize: true, sync: true, destination: stream, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }));
  }
  if (stream === process.stderr) return pino(base, pino.destination({ fd: 2, sync: true }));
  return pino(base, stream);
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Logs at most `perWindow` messages per key per window; returns whether this one may be logged. */
export class RateLimiter {
  readonly #windowMs: number;
  readonly #perWindow: number;
  readonly #seen = new Map<string, { start: number; n: number }>();

  constructor(windowMs = 10_000, perWindow = 1) {
    this.#windowMs = windowMs;
    this.#perWindow = perWindow;
  }

  allow(key: string, now = Date.now()): boolean {
    const e = this.#seen.get(key);
    if (!e || now - e.start >= this.#windowMs) {
      if (this.#seen.size > 10_000) this.#seen.clear();
      this.#seen.set(key, { start: now, n: 1 });
      return true;
    }
    e.n++;
    return e.n <= this.#perWindow;
  }
}
