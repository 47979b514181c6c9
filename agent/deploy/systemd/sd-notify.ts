/**
 * systemd's notification protocol (sd_notify(3)): newline-separated `VAR=value` assignments sent as one datagram
 * to the Unix socket named by $NOTIFY_SOCKET (a path, or `@name` for the abstract namespace).
 *
 * Node cannot send a Unix datagram, so there are two transports, chosen once:
 *  1. the native addon's `sdNotify` (a direct sendmsg from the agent's own PID: works with NotifyAccess=main);
 *  2. the `systemd-notify` program, run once per message, in order, one at a time. Its datagram comes from a
 *     child process, so the unit needs NotifyAccess=all (`outrider install-systemd` adds that drop-in when the
 *     addon is missing). systemd-notify (v246+) follows each message with BARRIER=1 and waits until systemd has
 *     read it, so a message is not lost because its sender exited first.
 * With neither, notifications are impossible; the caller logs that once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { nativeBinding } from '../../native/loader';

/** Sends one message; `sync` delivers it before returning (the last message before exit). */
export type NotifySend = (assignments: string[], sync?: boolean) => void;

export interface NotifyTransport {
  name: 'native' | 'systemd-notify';
  send: NotifySend;
}

/** A one-line value for an assignment (STATUS must not break the datagram's line structure). */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 512);
}

interface NativeNotify {
  sdNotify(socketPath: string, state: string): void;
}

/** The addon's sdNotify when the addon is built and loaded (and not disabled by OUTRIDER_NATIVE=0). */
export function nativeNotify(): NativeNotify | undefined {
  const b = nativeBinding();
  return b && typeof b.sdNotify === 'function' ? b : undefined;
}

export function haveSystemdNotify(): boolean {
  try {
    return spawnSync('systemd-notify', ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
}

/**
 * Picks the transport for `socket`. `onError` hears about failed sends (the caller rate-limits its logging).
 * `prefer` forces one (tests).
 */
export function notifyTransport(socket: string, onError: (err: Error) => void, prefer?: 'native' | 'systemd-notify'): NotifyTransport | undefined {
  const native = prefer === 'systemd-notify' ? undefined : nativeNotify();
  if (native) {
    return {
      name: 'native',
      send: (a) => {
        try {
          native.sdNotify(socket, a.join('\n'));
        } catch (err) {
          onError(err instanceof Error ? err : new Error(String(err)));
        }
      },
    };
  }
  if (prefer === 'native' || !haveSystemdNotify()) return undefined;
  // One child at a time keeps the messages in order (RELOADING before READY); a backlog keeps the newest.
  const queue: string[][] = [];
  let busy = false;
  const next = (): void => {
    const a = queue.shift();
    if (!a) {
      busy = false;
      return;
    }
    busy = true;
    const child = spawn('systemd-notify', a, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NOTIFY_SOCKET: socket } });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => {
      onError(err);
      next();
    });
    child.on('close', (code) => {
      if (code !== 0) onError(new Error(`systemd-notify exited with ${code}: ${stderr.trim()}`));
      next();
    });
    child.unref();
  };
  return {
    name: 'systemd-notify',
    send: (a, sync) => {
      if (sync) {
        // At shutdown there may be no event loop turn left for a queued child: deliver now, in order.
        const pending = queue.splice(0, queue.length);
        for (const p of [...pending, a]) {
          const r = spawnSync('systemd-notify', p, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NOTIFY_SOCKET: socket }, timeout: 5000 });
          if (r.status !== 0) onError(r.error ?? new Error(`systemd-notify exited with ${r.status}: ${String(r.stderr).trim()}`));
        }
        return;
      }
      if (queue.length >= 16) queue.splice(0, queue.length - 15);
      queue.push(a);
      if (!busy) next();
    },
  };
}

/** The watchdog period systemd asks for, halved as sd_watchdog_enabled(3) advises; undefined when off. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2 / 1000));
}

/** CLOCK_MONOTONIC in microseconds, for MONOTONIC_USEC alongside RELOADING=1. */
export function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}
