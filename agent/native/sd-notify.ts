/**
 * sd_notify(3), the agent's one implementation: newline-separated `VAR=value`
 * assignments sent as one datagram to the Unix socket named by $NOTIFY_SOCKET
 * (a path, or "@name" in the abstract namespace). Node cannot send on an
 * AF_UNIX datagram socket by itself, so there are two transports:
 *
 *  1. native: the addon's sdNotify, one datagram from this process (so
 *     NotifyAccess=main is enough);
 *  2. the `systemd-notify` program, once per message. Its datagram comes from
 *     a child process, so systemd accepts it only with NotifyAccess=all
 *     (`outrider install-systemd` adds that drop-in when the addon is
 *     missing); systemd-notify (v246+) follows each message with BARRIER=1,
 *     so a message is not lost because its sender exited first.
 *
 * {@link sdNotify} sends synchronously and reports what it did (a no-op that
 * says so without NOTIFY_SOCKET; `sent: false` when neither transport exists:
 * it does not pretend). {@link notifyTransport} is the agent's long-lived
 * sender: the systemd-notify transport runs one child at a time, in order,
 * off the event loop.
 */
import type * as ChildProcess from 'node:child_process';
import { ErrorCode, check, fromNative, nativeError } from './errors';
import { nativeBinding } from './loader';

// node:child_process serves only the systemd-notify fallback (no addon): loaded on first use, not at every start.
let childProcess: typeof ChildProcess | undefined;
function children(): typeof ChildProcess {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  childProcess ??= require('node:child_process') as typeof ChildProcess;
  return childProcess;
}

export interface SdNotifyResult {
  sent: boolean;
  /** Why nothing was sent, or how it was sent. */
  reason: string;
}

/** Assignments, e.g. `{READY: 1, STATUS: 'listening'}`, or a raw "K=V\n..." string. */
export type SdNotifyState = string | Record<string, string | number>;

function encode(state: SdNotifyState): string {
  let text: string;
  if (typeof state === 'string') text = state;
  else {
    check(state !== null && typeof state === 'object', 'sdNotify: state must be a string or an object');
    text = Object.entries(state)
      .map(([k, v]) => {
        check(/^[A-Z0-9_]+$/.test(k), `sdNotify: bad variable name ${JSON.stringify(k)}`);
        check(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)), `sdNotify: ${k} must be a string or number`);
        const s = String(v);
        check(!s.includes('\n'), `sdNotify: ${k} must not contain a newline`);
        return `${k}=${s}`;
      })
      .join('\n');
  }
  check(text.length > 0 && !text.includes('\0'), 'sdNotify: state must be non-empty and contain no NUL');
  for (const line of text.split('\n')) check(line === '' || /^[A-Z0-9_]+=/.test(line), `sdNotify: bad line ${JSON.stringify(line)}`);
  return text;
}

function socketPath(): string | null {
  const p = process.env.NOTIFY_SOCKET;
  return p && p.length > 0 ? p : null;
}

/** Native sd_notify. Throws NATIVE_UNAVAILABLE without the addon. */
export function sdNotifyNative(state: SdNotifyState): SdNotifyResult {
  const text = encode(state);
  const b = nativeBinding();
  if (!b) throw nativeError(ErrorCode.NATIVE_UNAVAILABLE, 'sdNotify: native addon not loaded');
  const path = socketPath();
  if (!path) return { sent: false, reason: 'NOTIFY_SOCKET is not set' };
  check(path.startsWith('/') || path.startsWith('@'), `sdNotify: NOTIFY_SOCKET must be a path or @name, got ${JSON.stringify(path)}`);
  try {
    b.sdNotify(path, text);
  } catch (e) {
    throw fromNative(ErrorCode.NOTIFY, `sdNotify: send to ${path}`, e);
  }
  return { sent: true, reason: `datagram to ${path}` };
}

let systemdNotify: boolean | undefined;
/** Whether `systemd-notify` runs (checked once). */
export function haveSystemdNotify(): boolean {
  if (systemdNotify === undefined) {
    try {
      systemdNotify = children().spawnSync('systemd-notify', ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0;
    } catch {
      systemdNotify = false;
    }
  }
  return systemdNotify;
}

/** Runs systemd-notify with `assignments` for `socket`; throws NOTIFY when it fails. */
function runSystemdNotify(socket: string, assignments: string[]): void {
  const r = children().spawnSync('systemd-notify', assignments, { encoding: 'utf8', timeout: 5000, env: { ...process.env, NOTIFY_SOCKET: socket } });
  if (r.status !== 0) {
    throw nativeError(ErrorCode.NOTIFY, `sdNotify: systemd-notify failed (${r.status ?? r.signal}): ${(r.stderr || '').trim()}`, { cause: r.error });
  }
}

/** The twin: systemd-notify if present (needs NotifyAccess=all), else a reported no-op. */
export function sdNotifyTwin(state: SdNotifyState): SdNotifyResult {
  const text = encode(state);
  const path = socketPath();
  if (!path) return { sent: false, reason: 'NOTIFY_SOCKET is not set' };
  if (!haveSystemdNotify()) return { sent: false, reason: 'no native addon and no systemd-notify on PATH; notification not sent' };
  runSystemdNotify(path, text.split('\n').filter(Boolean));
  return { sent: true, reason: 'via systemd-notify (requires NotifyAccess=all)' };
}

/** Sends `state` to $NOTIFY_SOCKET; a no-op (sent: false) when it is unset. */
export const sdNotify: (state: SdNotifyState) => SdNotifyResult = nativeBinding() ? sdNotifyNative : sdNotifyTwin;

/** READY=1 (and STATUS= when given). */
export const notifyReady = (status?: string) => sdNotify(status === undefined ? { READY: 1 } : { READY: 1, STATUS: status });
/** STATUS=… */
export const notifyStatus = (status: string) => sdNotify({ STATUS: status });
/** WATCHDOG=1 */
export const notifyWatchdog = () => sdNotify({ WATCHDOG: 1 });
/** STOPPING=1 */
export const notifyStopping = () => sdNotify({ STOPPING: 1 });
/** RELOADING=1 with MONOTONIC_USEC (required by Type=notify-reload). */
export const notifyReloading = () => sdNotify({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec() });
/** MAINPID=pid */
export const notifyMainPid = (pid: number) => {
  check(Number.isInteger(pid) && pid > 0, `sdNotify: pid must be a positive integer, got ${String(pid)}`);
  return sdNotify({ MAINPID: pid });
};

/** Sends one message (assignments, `VAR=value`); `sync` delivers it before returning (the last message before exit). */
export type NotifySend = (assignments: string[], sync?: boolean) => void;

export interface NotifyTransport {
  name: 'native' | 'systemd-notify';
  send: NotifySend;
}

/** A one-line value for an assignment (STATUS must not break the datagram's line structure). */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 512);
}

/** The addon's sdNotify when the addon is built and loaded (and not disabled by OUTRIDER_NATIVE=0). */
export function nativeNotify(): { sdNotify(socketPath: string, state: string): void } | undefined {
  return nativeBinding() ?? undefined;
}

/**
 * The long-lived transport for `socket`, or undefined when there is none. `onError` hears about failed sends
 * (the caller rate-limits its logging). `prefer` forces one (tests).
 */
export function notifyTransport(socket: string, onError: (err: Error) => void, prefer?: 'native' | 'systemd-notify'): NotifyTransport | undefined {
  const native = prefer === 'systemd-notify' ? undefined : nativeNotify();
  if (native) {
    return {
      name: 'native',
      send: (a) => {
        try {
          native.sdNotify(socket, encode(a.join('\n')));
        } catch (err) {
          onError(fromNative(ErrorCode.NOTIFY, `sdNotify: send to ${socket}`, err));
        }
      },
    };
  }
  if (prefer === 'native' || !haveSystemdNotify()) return undefined;
  // One child at a time keeps the messages in order (RELOADING before READY); a backlog keeps the newest 16.
  const queue: string[][] = [];
  let busy = false;
  const next = (): void => {
    const a = queue.shift();
    if (!a) {
      busy = false;
      return;
    }
    busy = true;
    const child = children().spawn('systemd-notify', a, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NOTIFY_SOCKET: socket } });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => {
      onError(err);
      next();
    });
    child.on('close', (code) => {
      if (code !== 0) onError(nativeError(ErrorCode.NOTIFY, `sdNotify: systemd-notify exited with ${code}: ${stderr.trim()}`));
      next();
    });
    child.unref();
  };
  return {
    name: 'systemd-notify',
    send: (a, sync) => {
      if (sync) {
        // At shutdown there may be no event loop turn left for a queued child: deliver now, in order.
        for (const p of [...queue.splice(0, queue.length), a]) {
          try {
            runSystemdNotify(socket, p);
          } catch (err) {
            onError(err as Error);
          }
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
