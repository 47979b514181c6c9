import type { Logger } from 'pino';

/** systemd notification hooks (READY, RELOADING, STOPPING); a no-op outside systemd. */
export interface Notifier {
  ready(status: string): void;
  reloading(): void;
  stopping(): void;
}

export function notifier(_log: Logger): Notifier {
  return { ready: () => undefined, reloading: () => undefined, stopping: () => undefined };
}
