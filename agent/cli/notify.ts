/**
 * systemd notifications for `outrider agent` under a Type=notify unit (config/systemd/outrider.service):
 * STATUS lines saying what the agent does, READY=1 once the listeners are up and the first collection is done,
 * RELOADING=1 … READY=1 around a SIGHUP reload, STOPPING=1 on shutdown, and WATCHDOG=1 from the event loop every
 * half WATCHDOG_USEC, so a blocked loop misses its pings and systemd restarts the agent. Outside systemd
 * (no NOTIFY_SOCKET) every call is a no-op. The transports are described in native/sd-notify.ts.
 */
import type { Logger } from 'pino';
import { RateLimiter } from '../core/log';
import { monotonicUsec, notifyTransport, oneLine, watchdogIntervalMs } from '../native/sd-notify';

/** systemd notification hooks (READY, RELOADING, STOPPING, STATUS); a no-op outside systemd. */
export interface Notifier {
  ready(status: string): void;
  reloading(): void;
  stopping(): void;
  status(text: string): void;
}

const noop: Notifier = { ready: () => undefined, reloading: () => undefined, stopping: () => undefined, status: () => undefined };

export function notifier(log: Logger, env: NodeJS.ProcessEnv = process.env): Notifier {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return noop;
  const limiter = new RateLimiter(60_000, 1);
  const transport = notifyTransport(socket, (err) => {
    if (limiter.allow('send')) log.warn({ err: err.message, socket }, 'A systemd notification could not be sent.');
  });
  if (!transport) {
    log.error(
      { socket },
      'systemd notification is unavailable: the native addon is not loaded and systemd-notify is not installed; a Type=notify unit will time out waiting for READY=1 (build the addon or install systemd-notify).',
    );
    return noop;
  }
  if (transport.name === 'systemd-notify') {
    log.info({ transport: transport.name }, 'Sending systemd notifications through systemd-notify (the unit needs NotifyAccess=all; the native addon sends them itself).');
  }
  const send = transport.send;
  let stopped = false;
  let watchdog: NodeJS.Timeout | undefined;
  const interval = watchdogIntervalMs(env);
  if (interval !== undefined) {
    // Pinged from the event loop itself: if the loop blocks, the pings stop and systemd acts.
    watchdog = setInterval(() => send(['WATCHDOG=1']), interval);
    watchdog.unref();
    log.debug({ intervalMs: interval }, 'systemd watchdog enabled.');
  }
  send(['STATUS=Starting: opening listeners and running the first collection']);
  return {
    ready: (status) => {
      if (!stopped) send(['READY=1', `STATUS=${oneLine(status)}`]);
    },
    reloading: () => {
      if (!stopped) send(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`, 'STATUS=Reloading the configuration']);
    },
    stopping: () => {
      if (stopped) return;
      stopped = true;
      if (watchdog) clearInterval(watchdog);
      send(['STOPPING=1', 'STATUS=Stopping: flushing and closing listeners'], true);
    },
    status: (text) => {
      if (!stopped) send([`STATUS=${oneLine(text)}`]);
    },
  };
}
