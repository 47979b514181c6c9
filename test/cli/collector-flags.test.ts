// node_exporter's command-line spellings: collector switches and the per-collector flag names, as aliases.
import t from 'tap';
import { parseArgs } from '../../agent/cli/args';
import { configFromArgs } from '../../agent/cli/config-args';
import { Config } from '../../agent/config/config';
import { agentKeys } from '../../agent/keys';

const load = (argv: string[], env: NodeJS.ProcessEnv = {}) => configFromArgs(parseArgs(argv), env);
const defaults = Config.defaults(agentKeys).list('collectors.enabled');

t.test('--collector.NAME adds an off-by-default collector to the defaults; --no-collector.NAME removes one', async (t) => {
  const { config, problems } = load(['--collector.softirqs', '--no-collector.conntrack', '--no-collector.arp=true']);
  t.same(problems, []);
  const enabled = config.list('collectors.enabled');
  t.ok(enabled.includes('softirqs'), 'switched on');
  t.notOk(enabled.includes('conntrack'), 'switched off');
  t.notOk(enabled.includes('arp'), '--no-collector.X=true is off too');
  t.same(enabled.filter((c) => c !== 'softirqs').sort(), defaults.filter((c) => c !== 'conntrack' && c !== 'arp').sort(), 'the other defaults stay');
});

t.test('--collector.disable-defaults keeps only what is switched on', async (t) => {
  const { config, problems } = load(['--collector.disable-defaults', '--collector.cpu', '--collector.meminfo', '--collector.timex=false']);
  t.same(problems, []);
  t.same(config.list('collectors.enabled'), ['cpu', 'meminfo']);
});

t.test('the last switch for a collector wins, and a switch beats collectors.disabled from the environment', async (t) => {
  const { config } = load(['--no-collector.cpu', '--collector.cpu', '--collector.loadavg', '--no-collector.loadavg'], { OUTRIDER_COLLECTORS_DISABLED: 'cpu,stat' });
  t.ok(config.list('collectors.enabled').includes('cpu'));
  t.notOk(config.list('collectors.disabled').includes('cpu'), 'switched on explicitly: no longer disabled');
  t.ok(config.list('collectors.disabled').includes('stat'), 'the rest of the environment stays');
  t.notOk(config.list('collectors.enabled').includes('loadavg'));
});

t.test('with disable-defaults an explicit collectors.enabled is kept (it is not a default)', async (t) => {
  const { config } = load(['--collector.disable-defaults', '--collector.uname'], { OUTRIDER_COLLECTORS_ENABLED: 'cpu,stat' });
  t.same(config.list('collectors.enabled'), ['cpu', 'stat', 'uname']);
});

t.test('no switches: the configuration is untouched', async (t) => {
  const { config } = load([]);
  t.same(config.list('collectors.enabled'), defaults);
  t.equal(config.source('collectors.enabled'), 'default');
});

t.test('a switch naming no collector, or with a non-boolean value, is a clear problem', async (t) => {
  const a = load(['--collector.nosuch']);
  t.equal(a.problems.length, 1);
  t.match(a.problems[0]!.expected, /no collector named "nosuch"/);
  const b = load(['--collector.cpu=yes']);
  t.match(b.problems[0]!.expected, /true or false/);
  const c = load(['--collector.filesystem.bogus-flag=x']);
  t.equal(c.problems[0]!.key, '--collector.filesystem.bogus-flag', 'a dotted unknown name is an unknown flag, not a switch');
});

t.test("node_exporter's per-collector flag names set the agent's keys", async (t) => {
  const { config, problems } = load([
    '--collector.textfile.directory=/var/lib/node_exporter',
    '--collector.filesystem.mount-points-exclude=^/mnt($|/)',
    '--collector.filesystem.ignored-fs-types=^tmpfs$',
    '--collector.netdev.device-exclude=^lo$',
    '--collector.diskstats.device-include=^sd',
    '--collector.netclass.ignored-devices=^veth',
    '--collector.vmstat.fields=^oom',
    '--collector.netstat.fields=^Tcp_',
    '--collector.powersupply.ignored-supplies=^AC$',
    '--collector.tapestats.ignored-devices=^st1$',
    '--path.procfs=/host/proc',
    '--path.udev.data=/host/run/udev/data',
  ]);
  t.same(problems, []);
  t.same(config.list('collectors.textfile.directory'), ['/var/lib/node_exporter']);
  t.equal(config.string('collectors.filesystem.mount_points_exclude'), '^/mnt($|/)');
  t.equal(config.string('collectors.filesystem.fs_types_exclude'), '^tmpfs$', 'the deprecated spelling too');
  t.equal(config.string('collectors.netdev.device_exclude'), '^lo$');
  t.equal(config.string('collectors.diskstats.device_include'), '^sd');
  t.equal(config.string('collectors.netclass.device_exclude'), '^veth');
  t.equal(config.string('collectors.vmstat.fields'), '^oom');
  t.equal(config.string('collectors.netstat.fields'), '^Tcp_');
  t.equal(config.string('collectors.powersupplyclass.ignored_supplies'), '^AC$');
  t.equal(config.string('collectors.tapestats.ignored_devices'), '^st1$');
  t.equal(config.string('path.procfs'), '/host/proc');
  t.equal(config.string('collectors.diskstats.udev_data_path'), '/host/run/udev/data');
});
