/** Series budgets per source, the agent's own telemetry outside every bound, and shedding (store.ts, "Budgets"). */
import t from 'tap';
import { MAX_SELF_SERIES, Store } from '../../agent/store/store';

const gauge = (name: string) => ({ name, help: '', type: 'gauge' as const });

t.test('a source past its budget is refused new series; other sources still get theirs', async (t) => {
  const drops: string[] = [];
  const s = new Store({ maxSeries: 100, budgets: { push: 10, statsd: 50 } });
  s.onDrop = (reason, _fam, _detail, source) => drops.push(`${source}:${reason}`);
  s.withSource('push', () => {
    for (let i = 0; i < 30; i++) s.set(gauge('flood'), { v: String(i) }, 1);
  });
  t.equal(s.seriesBySource().get('push'), 10);
  t.equal(s.dropped.source_budget, 20);
  t.same(new Set(drops), new Set(['push:source_budget']));
  t.ok(
    s.withSource('push', () => s.set(gauge('flood'), { v: '3' }, 2)),
    'an existing series is still written',
  );
  t.equal(s.getFamily('flood')!.series.get('v\u00003\u0000')!.value, 2);
  s.withSource('statsd', () => {
    for (let i = 0; i < 20; i++) t.ok(s.set(gauge('app'), { n: String(i) }, 1));
  });
  t.equal(s.seriesBySource().get('statsd'), 20);
  // Removal gives the budget back.
  s.remove(s.getFamily('flood')!.series.get('v\u00003\u0000')!);
  t.equal(s.seriesBySource().get('push'), 9);
  t.ok(s.withSource('push', () => s.set(gauge('flood'), { v: 'new' }, 1)));
});

t.test('the global bound still holds over all sources; a budget of 0 is no budget of its own', async (t) => {
  const s = new Store({ maxSeries: 15, budgets: { push: 0, statsd: 10 } });
  s.withSource('push', () => {
    for (let i = 0; i < 12; i++) s.set(gauge('p'), { i: String(i) }, 1);
  });
  t.equal(s.seriesBySource().get('push'), 12, 'no budget: up to the global bound');
  s.withSource('statsd', () => {
    for (let i = 0; i < 10; i++) s.set(gauge('q'), { i: String(i) }, 1);
  });
  t.equal(s.seriesBySource().get('statsd'), 3);
  t.equal(s.dropped.max_series, 7);
});

t.test("the agent's own telemetry is outside the global bound, the budgets and shedding", async (t) => {
  const s = new Store({ maxSeries: 5 });
  s.sourceOf = (owner) => (owner === 'outrider' ? 'self' : 'other');
  for (let i = 0; i < 5; i++) s.set(gauge('full'), { i: String(i) }, 1);
  t.notOk(s.set(gauge('full'), { i: 'x' }, 1), 'the store is full');
  s.replaceOwned('outrider', [{ name: 'outrider_store_dropped_writes_total', help: '', type: 'counter', samples: [{ labels: { reason: 'max_series' }, value: 1 }] }]);
  t.ok(s.getFamily('outrider_store_dropped_writes_total'), 'the drop counter is stored');
  s.shedding = true;
  s.replaceOwned('outrider', [{ name: 'outrider_memory_limiter_refused_total', help: '', type: 'counter', samples: [{ labels: {}, value: 1 }] }]);
  t.ok(s.getFamily('outrider_memory_limiter_refused_total'), 'stored while shedding');
  t.equal(s.seriesBySource().get('self'), 1);
  t.ok(MAX_SELF_SERIES >= 10_000);
});

t.test('shedding refuses new series of every other source, counted; writes to existing series go on', async (t) => {
  const s = new Store();
  t.ok(s.withSource('statsd', () => s.set(gauge('a'), { k: '1' }, 1)));
  s.shedding = true;
  t.notOk(s.withSource('statsd', () => s.set(gauge('a'), { k: '2' }, 1)));
  t.equal(s.dropped.memory_limit, 1);
  t.ok(
    s.withSource('statsd', () => s.set(gauge('a'), { k: '1' }, 5)),
    'existing series written',
  );
  s.shedding = false;
  t.ok(
    s.withSource('statsd', () => s.set(gauge('a'), { k: '2' }, 1)),
    'recovered',
  );
});

t.test('scopes nest and a scope wins over the owner', async (t) => {
  const s = new Store();
  s.sourceOf = (owner) => (owner?.startsWith('scrape:') ? 'scrape' : 'other');
  s.replaceOwned('scrape:job:url', [{ name: 'up', help: '', type: 'gauge', samples: [{ labels: {}, value: 1 }] }]);
  s.withSource('otlp', () => s.withSource('push', () => s.set(gauge('inner'), {}, 1)) && s.set(gauge('outer'), {}, 1));
  s.set(gauge('none'), {}, 1);
  t.same(Object.fromEntries(s.seriesBySource()), { scrape: 1, push: 1, otlp: 1, other: 1 });
});
