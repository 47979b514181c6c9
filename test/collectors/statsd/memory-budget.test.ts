/** statsd.max_memory: the StatsD series bound as a memory budget, at the measured cost per series. */
import t from 'tap';
import { Config } from '../../../agent/config/config';
import { optionsFrom, seriesBound, STATSD_BYTES_PER_SERIES } from '../../../agent/collectors/statsd/options';
import { agentKeys } from '../../../agent/keys';

t.test('the smaller of statsd.max_series and what statsd.max_memory pays for holds', async (t) => {
  t.equal(seriesBound(200_000, 0), 200_000, '0: the count only');
  t.equal(seriesBound(200_000, 10 * STATSD_BYTES_PER_SERIES), 10);
  t.equal(seriesBound(5, 1024 * 1024 * 1024), 5);
  t.equal(seriesBound(100, 1), 1, 'at least one');
});

t.test('the default bound fits the injected sidecar: under a fifth of a 192 MiB limit', async (t) => {
  const o = optionsFrom(Config.defaults(agentKeys));
  t.equal(o.maxSeries, Math.floor(o.maxMemoryBytes / STATSD_BYTES_PER_SERIES));
  t.ok(o.maxSeries * STATSD_BYTES_PER_SERIES <= (192 * 1024 * 1024) / 4, `${o.maxSeries} series`);
  const big = optionsFrom(Config.defaults(agentKeys).with({ 'statsd.max_memory': 512 * 1024 * 1024 }));
  t.equal(big.maxSeries, 200_000, 'more memory: statsd.max_series holds');
});
