/** The host collectors parse their settings once per configuration; a collection never reads the Config. */
import t from 'tap';
import { Config, ConfigSource } from '../../../agent/config/config';
import { silentLogger } from '../../../agent/core/log';
import { resolvePaths } from '../../../agent/collectors/collector';
import { hostCollectors } from '../../../agent/collectors/host/index';
import { hostOptions, optionsFrom } from '../../../agent/collectors/host/options';
import { agentKeys } from '../../../agent/keys';
import { fixtureConfig, fixtureNowMs, fixtureOptions } from './fixture';

/** A Config whose getters throw once armed: any read after the options were built fails the collection. */
class TrapConfig extends Config {
  armed = false;
  reads: string[] = [];
  override get<T = unknown>(key: string): T {
    if (this.armed) {
      this.reads.push(key);
      throw new Error(`config read at collection time: ${key}`);
    }
    return super.get<T>(key);
  }
}

function trapConfig(overrides: Record<string, unknown>): TrapConfig {
  const base = fixtureConfig(overrides);
  const values = new Map<string, unknown>();
  const sources = new Map<string, ConfigSource>();
  for (const def of agentKeys.all()) {
    values.set(def.key, base.get(def.key));
    sources.set(def.key, base.source(def.key));
  }
  return new TrapConfig(agentKeys, values, sources);
}

t.test('no host collector reads the Config while collecting', async (t) => {
  // Include patterns that match, so the filtering paths run too.
  const config = trapConfig({ 'collectors.diskstats.device_include': '^(sd|nvme)', 'collectors.netdev.device_include': '.', 'collectors.filesystem.interval': 0 });
  const paths = resolvePaths(config);
  hostOptions(config);
  config.armed = true;
  const collectors = hostCollectors(fixtureOptions());
  let ran = 0;
  for (const c of collectors) {
    const issues: string[] = [];
    try {
      await c.collect({ paths, config, log: silentLogger(), signal: new AbortController().signal, nowMs: fixtureNowMs, issues });
      ran++;
    } catch (err) {
      // Collectors without a source on the fixture host throw NoDataError; a config read throws our error.
      t.notMatch(String(err), /config read at collection time/, `${c.name} reads no config key`);
    }
    await c.close?.();
  }
  t.same(config.reads, [], 'no key was read after the options were built');
  t.ok(ran >= 15, `most collectors ran over the fixture host (${ran})`);
});

t.test('the trap fires when a key is read', async (t) => {
  const config = trapConfig({});
  config.armed = true;
  // A config whose options were never built: the first collection must parse them, which the trap refuses.
  const diskstats = hostCollectors(fixtureOptions()).find((c) => c.name === 'diskstats')!;
  await t.rejects(
    diskstats.collect({ paths: resolvePaths(fixtureConfig()), config, log: silentLogger(), signal: new AbortController().signal, nowMs: fixtureNowMs, issues: [] }),
    /config read at collection time/,
  );
});

t.test('options are parsed once per configuration', async (t) => {
  const a = fixtureConfig({ 'collectors.diskstats.device_include': '^sd' });
  t.equal(hostOptions(a), hostOptions(a), 'the same object for the same configuration');
  t.equal(hostOptions(a).diskstats.include?.source, '^sd');
  const b = a.with({ 'collectors.diskstats.device_include': '' });
  t.not(hostOptions(b), hostOptions(a), 'a reloaded configuration gets its own options');
  t.equal(hostOptions(b).diskstats.include, undefined, 'an empty expression filters nothing');
  const o = optionsFrom(fixtureConfig({ 'collectors.filesystem.statfs_timeout': 250, 'collectors.cgroup.path': '/x.slice' }));
  t.equal(o.filesystem.statfsTimeoutMs, 250);
  t.equal(o.cgroup.path, '/x.slice');
  t.ok(o.filesystem.fsTypesExclude?.test('tmpfs') === false && o.filesystem.fsTypesExclude?.test('proc') === true, 'defaults compiled');
});
