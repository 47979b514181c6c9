/**
 * adjtimex(2), read-only (modes 0): the kernel's clock discipline state. Only the addon can make the call; Node.js
 * has no binding for it and /proc does not publish it, so the twin is "unavailable" with the reason, and the timex
 * collector reports no data (node_scrape_collector_success 0) where the addon is not loaded.
 */
import type { NativeTimex } from './binding';
import { ErrorCode, fromNative } from './errors';
import { nativeBinding } from './loader';

export type Timex = NativeTimex;

/** A reading, or why there is none (`errno` set when the call itself failed, e.g. EPERM under a seccomp policy). */
export type TimexResult = { ok: true; timex: Timex } | { ok: false; reason: string; errno?: string };

/** Reads the clock state through the addon; never throws. */
export function readTimex(): TimexResult {
  const b = nativeBinding();
  if (!b) return { ok: false, reason: 'adjtimex(2) needs the native addon, which is not loaded' };
  if (typeof b.adjtimex !== 'function') return { ok: false, reason: 'the loaded native addon predates the adjtimex binding; rebuild it' };
  try {
    return { ok: true, timex: b.adjtimex() };
  } catch (e) {
    const err = fromNative(ErrorCode.TIMEX, 'adjtimex', e);
    return { ok: false, reason: err.message, ...(err.errno !== undefined ? { errno: err.errno } : {}) };
  }
}
