import t from 'tap';
import { timexCollector, timexFamilies } from '../../../agent/collectors/host/timex';
import { NoDataError } from '../../../agent/collectors/collector';
import { readTimex } from '../../../agent/native/timex';
import { nativeStatus } from '../../../agent/native/loader';
import { collectContext, fixtureTimex } from './fixture';

const value = (fams: ReturnType<typeof timexFamilies>, name: string) => fams.find((f) => f.name === name)?.samples[0]?.value;

t.test('scaling as adjtimex(2) documents it: nanosecond mode', async (t) => {
  const f = timexFamilies(fixtureTimex);
  t.equal(value(f, 'node_timex_offset_seconds'), -0.000123456, 'offset in ns under STA_NANO');
  t.equal(value(f, 'node_timex_frequency_adjustment_ratio'), 1 + 1_234_567 / 65_536e6, 'freq: ppm with a 16-bit fraction');
  t.equal(value(f, 'node_timex_maxerror_seconds'), 0.012345, 'maxerror in µs whatever the mode');
  t.equal(value(f, 'node_timex_estimated_error_seconds'), 0.000678);
  t.equal(value(f, 'node_timex_tick_seconds'), 0.01);
  t.equal(value(f, 'node_timex_status'), 0x2001);
  t.equal(value(f, 'node_timex_loop_time_constant'), 7);
  t.equal(value(f, 'node_timex_tai_offset_seconds'), 37);
  t.equal(value(f, 'node_timex_sync_status'), 1, 'TIME_OK: synchronised');
  t.equal(f.find((x) => x.name === 'node_timex_pps_calibration_total')?.type, 'counter');
  t.equal(f.length, 17, "node_exporter's 17 families");
});

t.test('microsecond mode, unsynchronised clock, PPS figures', async (t) => {
  const f = timexFamilies({ ...fixtureTimex, state: 5, status: 0x0041, offset: -250, jitter: 40, ppsfreq: 65_536, stabil: 131_072, shift: 4, calcnt: 9 });
  t.equal(value(f, 'node_timex_offset_seconds'), -0.00025, 'offset in µs without STA_NANO');
  t.equal(value(f, 'node_timex_pps_jitter_seconds'), 0.00004);
  t.equal(value(f, 'node_timex_pps_frequency_hertz'), 1e-6);
  t.equal(value(f, 'node_timex_pps_stability_hertz'), 2e-6);
  t.equal(value(f, 'node_timex_pps_shift_seconds'), 4);
  t.equal(value(f, 'node_timex_pps_calibration_total'), 9);
  t.equal(value(f, 'node_timex_sync_status'), 0, 'TIME_ERROR: not synchronised');
});

t.test('no addon or a refused call is no data; another failure fails the collector', async (t) => {
  const ctx = collectContext();
  await t.rejects(timexCollector({ adjtimex: () => ({ ok: false, reason: 'adjtimex(2) needs the native addon' }) }).collect(ctx), NoDataError);
  await t.rejects(timexCollector({ adjtimex: () => ({ ok: false, reason: 'adjtimex: EPERM', errno: 'EPERM' }) }).collect(ctx), NoDataError);
  const other = timexCollector({ adjtimex: () => ({ ok: false, reason: 'adjtimex: EFAULT', errno: 'EFAULT' }) }).collect(ctx);
  await t.rejects(other, { message: 'adjtimex: EFAULT' });
  await other.catch((e: unknown) => t.notOk(e instanceof NoDataError, 'not mistaken for no data'));
});

t.test('the addon reads this kernel', { skip: nativeStatus().available ? false : 'native addon not loaded' }, async (t) => {
  const r = readTimex();
  if (!r.ok) {
    t.equal(r.errno, 'EPERM', `only a seccomp refusal is acceptable here: ${r.reason}`);
    return;
  }
  t.ok(r.timex.state >= 0 && r.timex.state <= 5, `state ${r.timex.state} is TIME_OK..TIME_ERROR`);
  t.ok(r.timex.tick > 0 && r.timex.tick <= 1_000_000, `tick ${r.timex.tick} µs`);
  t.ok(r.timex.maxerror >= 0 && r.timex.maxerror <= 16_000_000, 'maxerror within the kernel clamp (16 s)');
  const fams = await timexCollector().collect(collectContext());
  t.equal(fams.length, 17);
});
