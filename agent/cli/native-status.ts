import type { Logger } from 'pino';

/** Loads the native addon once, or explains why the pure-TS twins run. Never throws. */
export function loadNative(log: Logger): { available: boolean; reason: string } {
  let status: { available: boolean; reason: string } = { available: false, reason: 'the native addon is not part of this build' };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../native/loader') as { nativeStatus?: () => { available: boolean; reason: string } };
    if (mod.nativeStatus) status = mod.nativeStatus();
  } catch {
    /* the native face is absent from this build */
  }
  if (status.available) log.debug({ reason: status.reason }, 'Native addon loaded.');
  else log.info({ reason: status.reason }, 'Native addon unavailable; running on the pure-TypeScript twins.');
  return { available: status.available, reason: status.reason };
}
