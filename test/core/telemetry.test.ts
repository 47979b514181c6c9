/** core/telemetry: the snapshot in the store's model; runtime metrics gathered on their own, slower refresh. */
import t from 'tap';
import { Telemetry } from '../../agent/core/telemetry';
import type { FamilySamples } from '../../agent/store/types';

const value = (fams: FamilySamples[], name: string): number | undefined => {
  const s = fams.find((f) => f.name === name)?.samples[0];
  return s && 'value' in s ? s.value : undefined;
};

t.test('component metrics are fresh in every snapshot; runtime metrics are reused until the refresh passes', async (t) => {
  let now = 1_000_000;
  const tel = new Telemetry({ runtimeRefreshMs: 5000, now: () => now });
  const c = tel.counter('outrider_test_things_total', 'Things.');
  const first = await tel.snapshot();
  const cpu0 = value(first, 'process_cpu_user_seconds_total');
  t.ok(cpu0 !== undefined, 'runtime metrics are in the first snapshot');
  t.equal(value(first, 'outrider_test_things_total'), 0);
  t.ok(first.findIndex((f) => f.name === 'process_cpu_user_seconds_total') < first.findIndex((f) => f.name === 'outrider_test_things_total'), 'registry order kept');

  // Burn CPU so a fresh gathering of process_cpu_user_seconds_total would differ.
  const until = process.hrtime.bigint() + 30_000_000n;
  while (process.hrtime.bigint() < until);
  c.inc(3);
  now += 1000;
  const second = await tel.snapshot();
  t.equal(value(second, 'outrider_test_things_total'), 3, 'the component counter moved');
  t.equal(value(second, 'process_cpu_user_seconds_total'), cpu0, 'the runtime sample is reused within the refresh');
  t.same(
    second.map((f) => f.name),
    first.map((f) => f.name),
    'the same families, in the same order',
  );

  now += 4000;
  const third = await tel.snapshot();
  t.ok(value(third, 'process_cpu_user_seconds_total')! > cpu0!, 'gathered again once the refresh has passed');
});

t.test('without runtime metrics only the component metrics are snapshotted', async (t) => {
  const tel = new Telemetry({ runtimeMetrics: false });
  tel.setBuildInfo(true);
  const names = (await tel.snapshot()).map((f) => f.name);
  t.same(names, ['outrider_build_info', 'outrider_native_available']);
});
