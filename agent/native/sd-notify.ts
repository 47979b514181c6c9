/**
 * sd_notify(3): tells systemd about the service's state through the datagram
 * socket named by $NOTIFY_SOCKET (a path, or "@name" in the abstract
 * namespace). Node cannot send on an AF_UNIX datagram socket by itself.
 *
 * Native: one datagram per call from this process (so NotifyAccess=main is
 * enough). With NOTIFY_SOCKET unset every call is a no-op that says so.
 * Twin: runs `systemd-notify` with the same assignments when it is on PATH.
 * That message comes from a child process, so systemd accepts it only with
 * NotifyAccess=all in the unit, and READY=1 may be attributed late or lost
 * if the child exits first (systemd's own caveat). Without systemd-notify the
 * twin sends nothing and reports `sent: false` — it does not pretend.
 */
import { spawnSync } from 'node:child_process';
import { ErrorCode, OutriderError, check, fromNative } from './errors';
import { nativeBinding } from './loader';

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
  if (!b) throw new OutriderError(ErrorCode.NATIVE_UNAVAILABLE, 'sdNotify: native addon not loaded');
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

let systemdNotify: string | null | undefined;
function findSystemdNotify(): string | null {
  if (systemdNotify !== undefined) return systemdNotify;
  const r = spawnSync('sh', ['-c', 'command -v systemd-notify'], { encoding: 'utf8' });
  systemdNotify = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
  return systemdNotify;
}

/** The twin: systemd-notify if present (needs NotifyAccess=all), else a reported no-op. */
export function sdNotifyTwin(state: SdNotifyState): SdNotifyResult {
  const text = encode(state);
  const path = socketPath();
  if (!path) return { sent: false, reason: 'NOTIFY_SOCKET is not set' };
  const bin = findSystemdNotify();
  if (!bin) return { sent: false, reason: 'no native addon and no systemd-notify on PATH; notification not sent' };
  const r = spawnSync(bin, text.split('\n').filter(Boolean), { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) {
    throw new OutriderError(ErrorCode.NOTIFY, `sdNotify: systemd-notify failed (${r.status ?? r.signal}): ${(r.stderr || '').trim()}`);
  }
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
export const notifyReloading = () => sdNotify({ RELOADING: 1, MONOTONIC_USEC: String(process.hrtime.bigint() / 1000n) });
/** MAINPID=pid */
export const notifyMainPid = (pid: number) => {
  check(Number.isInteger(pid) && pid > 0, `sdNotify: pid must be a positive integer, got ${String(pid)}`);
  return sdNotify({ MAINPID: pid });
};
