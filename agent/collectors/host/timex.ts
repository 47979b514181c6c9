/**
 * timex: the kernel's clock discipline state from adjtimex(2) (read-only, modes 0) → node_timex_* (node_exporter's
 * timex collector: same names, help, types and scaling). Only the native addon can make the call; without it, or
 * where a seccomp policy refuses it (EPERM, as node_exporter handles it), the collector reports no data.
 *
 * Scaling (adjtimex(2), NOTES): offset and PPS jitter are µs, or ns when STA_NANO is set in status; freq, ppsfreq and
 * stabil are ppm with a 16-bit binary fraction; maxerror, esterror and tick are µs. A return value of TIME_ERROR (5)
 * means the clock is not synchronised.
 */
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { readTimex, Timex, TimexResult } from '../../native/timex';

const TIME_ERROR = 5;
const STA_NANO = 0x2000;
const PPM16FRAC = 1_000_000 * 65_536;

/** The families of one reading. */
export function timexFamilies(tx: Timex): FamilySamples[] {
  const divisor = (tx.status & STA_NANO) !== 0 ? 1e9 : 1e6;
  const g = (name: string, help: string, value: number) => family(`node_timex_${name}`, help, 'gauge', [{ labels: {}, value }]);
  const c = (name: string, help: string, value: number) => family(`node_timex_${name}`, help, 'counter', [{ labels: {}, value }]);
  return [
    g('sync_status', 'Is clock synchronized to a reliable server (1 = yes, 0 = no).', tx.state === TIME_ERROR ? 0 : 1),
    g('offset_seconds', 'Time offset in between local system and reference clock.', tx.offset / divisor),
    g('frequency_adjustment_ratio', 'Local clock frequency adjustment.', 1 + tx.freq / PPM16FRAC),
    g('maxerror_seconds', 'Maximum error in seconds.', tx.maxerror / 1e6),
    g('estimated_error_seconds', 'Estimated error in seconds.', tx.esterror / 1e6),
    g('status', 'Value of the status array bits.', tx.status),
    g('loop_time_constant', 'Phase-locked loop time constant.', tx.constant),
    g('tick_seconds', 'Seconds between clock ticks.', tx.tick / 1e6),
    g('pps_frequency_hertz', 'Pulse per second frequency.', tx.ppsfreq / PPM16FRAC),
    g('pps_jitter_seconds', 'Pulse per second jitter.', tx.jitter / divisor),
    g('pps_shift_seconds', 'Pulse per second interval duration.', tx.shift),
    g('pps_stability_hertz', 'Pulse per second stability, average of recent frequency changes.', tx.stabil / PPM16FRAC),
    c('pps_jitter_total', 'Pulse per second count of jitter limit exceeded events.', tx.jitcnt),
    c('pps_calibration_total', 'Pulse per second count of calibration intervals.', tx.calcnt),
    c('pps_error_total', 'Pulse per second count of calibration errors.', tx.errcnt),
    c('pps_stability_exceeded_total', 'Pulse per second count of stability limit exceeded events.', tx.stbcnt),
    g('tai_offset_seconds', 'International Atomic Time (TAI) offset.', tx.tai),
  ];
}

export interface TimexOptions {
  /** The clock state source (tests inject readings); the native addon's adjtimex by default. */
  adjtimex?: () => TimexResult;
}

export function timexCollector(opts: TimexOptions = {}): Collector {
  const read = opts.adjtimex ?? readTimex;
  return {
    name: 'timex',
    defaultEnabled: true,
    async collect(): Promise<FamilySamples[]> {
      const r = read();
      if (!r.ok) {
        // No addon, or the call is forbidden here (EPERM: seccomp): no data, as node_exporter's ErrNoData.
        if (r.errno === undefined || r.errno === 'EPERM') throw new NoDataError(r.reason);
        throw new Error(r.reason);
      }
      return timexFamilies(r.timex);
    },
  };
}
