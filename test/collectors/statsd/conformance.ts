/**
 * StatsD/DogStatsD cases where a permissive parser loses or distorts data, run against both receive paths (the
 * native receiver threads and the pure-TS dgram path): empty tag values, negative counter increments, a bare |T,
 * packed lines with empty members, sample rates above 1.
 */
import type { Test } from 'tap';
import { startHarness } from './harness';

export function conformanceSuite(t: Test, engine: 'ts' | 'native'): void {
  t.test('an empty tag value is dropped and counted: one series, not two that collide in Prometheus', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    await h.send('req:1|c|#env:prod,host:', 'req:2|c|#env:prod', 'req:4|c|#host:,env:prod,debug');
    h.flush();
    t.equal(h.value('req_total', { env: 'prod' }), 7, 'all three lines land on the one series');
    const fam = h.store.getFamily('req_total');
    t.equal(fam?.series.size, 1, 'no second series with an empty host label');
    t.equal(await h.counter('outrider_statsd_skipped_total', { reason: 'empty_tag_value' }), 2);
    t.equal(await h.counter('outrider_statsd_skipped_total', { reason: 'valueless_tag' }), 1);
  });

  t.test('a negative counter increment is refused and counted; the counter never goes down', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    await h.send('jobs:10|c');
    h.flush();
    await h.send('jobs:-3|c', 'jobs:2:-1|c');
    h.flush();
    t.equal(h.value('jobs_total'), 10);
    t.equal(await h.counter('outrider_statsd_invalid_lines_total', { reason: 'negative_counter' }), 2);
  });

  t.test('a bare |T is refused as |TABCD is', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    await h.send('ts.a:5|g|T', 'ts.b:5|g|TABCD', 'ts.c:5|g');
    h.flush();
    t.equal(h.store.getFamily('ts_a'), undefined);
    t.equal(h.store.getFamily('ts_b'), undefined);
    t.equal(h.value('ts_c'), 5);
    t.equal(await h.counter('outrider_statsd_invalid_lines_total', { reason: 'bad_timestamp' }), 2);
  });

  t.test('packed values with empty members keep the others, counting what was skipped', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    await h.send('lat:1.5::41|h', 'hits::666::123::::|c', 'none::|c');
    h.flush();
    t.equal(h.series('lat')?.dist?.count, 2);
    t.equal(h.series('lat')?.dist?.sum, 42.5);
    t.equal(h.value('hits_total'), 789);
    t.equal(h.store.getFamily('none_total'), undefined, 'a line with only empty values has nothing to keep');
    t.equal(await h.counter('outrider_statsd_skipped_total', { reason: 'empty_value' }), 7);
    t.equal(await h.counter('outrider_statsd_invalid_lines_total', { reason: 'bad_value' }), 1);
  });

  t.test('a sample rate above 1 is refused and counted (bad_sample_rate), never scales a counter down', async (t) => {
    const h = await startHarness(engine);
    t.teardown(() => h.stop());
    await h.send('r:10|c|@2', 'r:1|c|@1');
    h.flush();
    t.equal(h.value('r_total'), 1);
    t.equal(await h.counter('outrider_statsd_invalid_lines_total', { reason: 'bad_sample_rate' }), 1);
  });
}
