/** core/contract: the four counts every component exposes, summed from its own metrics under one naming rule. */
import t from 'tap';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { contractCounts, contractMetricName, ContractSources, readContract, registerContract } from '../../agent/core/contract';

t.test('one naming rule', async (t) => {
  t.same(contractCounts.map(contractMetricName), ['outrider_component_received_total', 'outrider_component_sent_total', 'outrider_component_dropped_total', 'outrider_component_errors_total']);
});

t.test('counts sum their sources, with label filters; histograms count by _count; missing sources are 0', async (t) => {
  const registry = new Registry();
  const got = new Counter({ name: 'x_in_total', help: 'x', registers: [registry] });
  const done = new Counter({ name: 'x_done_total', help: 'x', labelNames: ['result'], registers: [registry] });
  const lat = new Histogram({ name: 'x_seconds', help: 'x', registers: [registry], buckets: [1] });
  got.inc(5);
  done.inc({ result: 'ok' }, 3);
  done.inc({ result: 'refused' }, 2);
  lat.observe(0.5);
  lat.observe(7);
  const sources: ContractSources = {
    received: [{ metric: 'x_in_total' }],
    sent: [{ metric: 'x_done_total', labels: { result: 'ok' } }],
    dropped: [{ metric: 'x_not_registered_total' }],
    errors: [{ metric: 'x_done_total', labels: { result: 'refused' } }, { metric: 'x_seconds' }],
  };
  t.same(await readContract(registry, sources), { received: 5, sent: 3, dropped: 0, errors: 4 });

  registerContract(registry, () => new Map([['thing', sources]]));
  registerContract(registry, () => new Map([['thing', sources]])); // twice is harmless
  got.inc(2);
  const text = await registry.metrics();
  t.match(text, /^outrider_component_received_total\{component="thing"\} 7$/m);
  t.match(text, /^outrider_component_sent_total\{component="thing"\} 3$/m);
  t.match(text, /^outrider_component_dropped_total\{component="thing"\} 0$/m);
  t.match(text, /^outrider_component_errors_total\{component="thing"\} 4$/m);
  t.match(text, /# TYPE outrider_component_received_total counter/);
});

t.test('a component that stopped running leaves the counts', async (t) => {
  const registry = new Registry();
  let running = new Map<string, ContractSources>([['a', { received: [], sent: [], dropped: [], errors: [] }]]);
  registerContract(registry, () => running);
  t.match(await registry.metrics(), /component="a"/);
  running = new Map();
  t.notMatch(await registry.metrics(), /component="a"/);
});

t.test('sources of every shape: gauges and labelled histograms from their tables, a summary through its get()', async (t) => {
  const registry = new Registry();
  const queue = new Gauge({ name: 'x_queued', help: 'x', labelNames: ['q'], registers: [registry] });
  const lat = new Histogram({ name: 'x_seconds', help: 'x', labelNames: ['path'], registers: [registry], buckets: [1] });
  const sizes = new Summary({ name: 'x_bytes', help: 'x', labelNames: ['path'], registers: [registry], percentiles: [0.5] });
  queue.set({ q: 'a' }, 4);
  queue.set({ q: 'b' }, 1);
  lat.observe({ path: '/a' }, 0.5);
  lat.observe({ path: '/a' }, 3);
  lat.observe({ path: '/b' }, 3);
  sizes.observe({ path: '/a' }, 100);
  sizes.observe({ path: '/b' }, 100);
  sizes.observe({ path: '/b' }, 7);
  const sources: ContractSources = {
    received: [{ metric: 'x_queued' }, { metric: 'x_seconds', labels: { path: '/a' } }],
    sent: [{ metric: 'x_bytes', labels: { path: '/b' } }],
    dropped: [{ metric: 'x_queued', labels: { q: 'b' } }, { metric: 'x_bytes' }],
    errors: [],
  };
  t.same(await readContract(registry, sources), { received: 7, sent: 2, dropped: 4, errors: 0 });
  registerContract(registry, () => new Map([['thing', sources]]));
  const text = await registry.metrics();
  t.match(text, /^outrider_component_received_total\{component="thing"\} 7$/m);
  t.match(text, /^outrider_component_sent_total\{component="thing"\} 2$/m, 'the summary source, through its get()');
  t.match(text, /^outrider_component_dropped_total\{component="thing"\} 4$/m);
  t.match(text, /^outrider_component_errors_total\{component="thing"\} 0$/m);
});

t.test('counts follow their sources collection after collection: up, down after a source reset, after the registry reset, a component back', async (t) => {
  const registry = new Registry();
  const got = new Counter({ name: 'x_in_total', help: 'x', registers: [registry] });
  const sources: ContractSources = { received: [{ metric: 'x_in_total' }], sent: [], dropped: [], errors: [] };
  let running = new Map<string, ContractSources>([
    ['a', sources],
    ['b', sources],
  ]);
  registerContract(registry, () => running);
  const received = async (): Promise<string[]> => (await registry.metrics()).split('\n').filter((l) => l.startsWith('outrider_component_received_total{'));
  got.inc(2);
  t.same(await received(), ['outrider_component_received_total{component="a"} 2', 'outrider_component_received_total{component="b"} 2']);
  got.inc(3);
  t.same(await received(), ['outrider_component_received_total{component="a"} 5', 'outrider_component_received_total{component="b"} 5'], 'set, not added');
  got.reset();
  got.inc(1);
  t.same(await received(), ['outrider_component_received_total{component="a"} 1', 'outrider_component_received_total{component="b"} 1'], 'the sum as it is');
  running = new Map([['b', sources]]);
  t.same(await received(), ['outrider_component_received_total{component="b"} 1'], 'a left');
  registry.resetMetrics();
  got.inc(4);
  running = new Map([
    ['a', sources],
    ['b', sources],
  ]);
  t.same(await received(), ['outrider_component_received_total{component="a"} 4', 'outrider_component_received_total{component="b"} 4'], 'after the registry reset, and a back');
});
