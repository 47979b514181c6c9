import type { Logger } from 'pino';
import { ExitCode } from '../core/errors';

/** A repeat of the first stop signal this soon after it is the same request delivered twice, not a second one. */
const REPEAT_WINDOW_MS = 1000;

export interface StopRequest {
  /** Resolves with the first SIGTERM or SIGINT. */
  readonly signal: Promise<NodeJS.Signals>;
  /** Call once the command has stopped: later signals are ignored while the process ends. */
  stopped(): void;
}

/**
 * Traps SIGTERM and SIGINT from now on. A command calls it before it starts anything, so that a stop signal that
 * arrives while it starts (a container stopped as soon as its health check passes, a Ctrl-C during start) is
 * answered with a clean stop once the start is done, rather than the signal's default action killing the process
 * with its listeners half open and its spool unflushed. A second signal, once the first is over a second old, exits
 * at once with a failure; the same signal again within the second is the first delivered twice (to the process and
 * to its group, as `timeout` and a terminal do) and is ignored.
 */
export function trapStopSignals(log: Logger): StopRequest {
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  let done = false;
  let resolve!: (s: NodeJS.Signals) => void;
  const signal = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const on = (sig: NodeJS.Signals) => {
    if (done) return;
    if (first === undefined) {
      first = { signal: sig, at: Date.now() };
      log.info({ signal: sig }, 'Stopping.');
      resolve(sig);
      return;
    }
    if (sig === first.signal && Date.now() - first.at < REPEAT_WINDOW_MS) return;
    log.warn({ signal: sig }, 'Second stop signal; exiting now.');
    process.exit(ExitCode.failure);
  };
  process.on('SIGTERM', on);
  process.on('SIGINT', on);
  return { signal, stopped: () => void (done = true) };
}

/**
 * Waits for the stop signal, then stops `component` and resolves with the exit code. With `forceMs` a stop that
 * takes longer exits with a failure; a second signal does so in any case.
 */
export async function stopOnSignal(request: StopRequest, component: { stop(): Promise<void> }, log: Logger, opts: { forceMs?: number; onStopping?: () => void } = {}): Promise<number> {
  await request.signal;
  opts.onStopping?.();
  const force =
    opts.forceMs === undefined
      ? undefined
      : setTimeout(() => {
          log.error('Shutdown took too long; exiting.');
          process.exit(ExitCode.failure);
        }, opts.forceMs).unref();
  try {
    await component.stop();
    log.info('Stopped.');
    return ExitCode.ok;
  } catch (err) {
    log.error({ err: String(err) }, 'Stop failed.');
    return ExitCode.failure;
  } finally {
    clearTimeout(force);
    request.stopped();
  }
}
