/** The components' options: each key parsed and typed once (docs/components.md, "Configuration"). */
import t from 'tap';
import { Config } from '../../agent/config/config';
import { optionsFrom as collectorsOptions } from '../../agent/collectors/options';
import { gpuOptions } from '../../agent/collectors/gpu/options';
import { optionsFrom as otlpOptions } from '../../agent/collectors/otlp/options';
import { optionsFrom as scrapeOptions } from '../../agent/collectors/scrape/options';
import { optionsFrom as statsdOptions } from '../../agent/collectors/statsd/options';
import { optionsFrom as coreOptions } from '../../agent/core/options';
import { optionsFrom as injectorOptions } from '../../agent/deploy/injector/options';
import { agentKeys } from '../../agent/keys';

const defaults = Config.defaults(agentKeys);

t.test('statsd: listen URLs parsed, the socket mode read as octal', async (t) => {
  const o = statsdOptions(defaults.with({ 'statsd.listen': ['udp://127.0.0.1:0', 'unix:///tmp/dsd.socket'], 'statsd.socket_mode': '0660' }));
  t.same(
    o.listen.map((l) => l.kind),
    ['udp', 'unix'],
  );
  t.equal(o.socketMode, 0o660);
  t.equal(o.flushIntervalMs, 10_000);
  t.throws(() => statsdOptions(defaults.with({ 'statsd.listen': ['tcp://127.0.0.1:1'] })), { code: 'OUTRIDER_ERR_CONFIG_INVALID' });
});

t.test('otlp: an empty listen address switches that transport off', async (t) => {
  const o = otlpOptions(defaults.with({ 'otlp.grpc.listen': '' }));
  t.equal(o.grpcListen, undefined);
  t.type(o.httpListen, 'string');
  t.same(o.delta, { maxStreams: defaults.number('otlp.delta.max_streams'), streamTtlMs: defaults.number('otlp.delta.stream_ttl') });
});

t.test('scrape: targets checked once; nothing parsed when scraping is off', async (t) => {
  const bad = { 'scrape.targets': [{ url: 'ftp://127.0.0.1/metrics' }] };
  t.throws(() => scrapeOptions(defaults.with(bad)), { code: 'OUTRIDER_ERR_SCRAPE_CONFIG' });
  t.same(scrapeOptions(defaults.with({ ...bad, 'scrape.enabled': false })).targets, []);
  const o = scrapeOptions(defaults.with({ 'scrape.targets': [{ url: 'http://127.0.0.1:9/metrics' }], listen: '127.0.0.1:9477' }));
  t.equal(o.targets.length, 1);
  t.equal(o.ownPort, 9477);
  t.equal(o.podTarget, undefined);
});

t.test('the runner, gpu, the foundation and the injector', async (t) => {
  const c = defaults.with({ 'collectors.interval': 2000, 'collectors.disabled': ['cpu'], 'path.rootfs': '/host', log_level: 'debug', 'injector.max_body': 4096 });
  const r = collectorsOptions(c);
  t.equal(r.intervalMs, 2000);
  t.same(r.disabled, ['cpu']);
  t.equal(gpuOptions(c), gpuOptions(c), 'parsed once per configuration');
  const core = coreOptions(c);
  t.same(core.paths, { rootfs: '/host', procfs: '/host/proc', sysfs: '/host/sys' });
  t.same(core.log, { level: 'debug', format: 'auto' });
  const i = injectorOptions(c);
  t.equal(i.maxBodyBytes, 4096);
  t.equal(i.inject.image, defaults.string('inject.image'));
});
