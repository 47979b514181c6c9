import type { Logger } from 'pino';
import { ExitCode } from '../core/errors';

/**
 * Serves until SIGTERM or SIGINT, then stops `component` and resolves with the exit code; a second signal exits at
 * once. Used by the commands that only serve (aggregator, injector); the agent adds reload and systemd notifications.
 */
export function serveUntilSignal(component: { stop(): Promise<void> }, log: Logger): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) process.exit(ExitCode.failure);
      stopping = true;
      log.info({ signal }, 'Stopping.');
      component.stop().then(
        () => resolve(ExitCode.ok),
        (err: unknown) => {
          log.error({ err: String(err) }, 'Stop failed.');
          resolve(ExitCode.failure);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
