/**
 * node_exporter run with the agent's host collectors and filters: the collectors both have (cgroup is the agent's
 * only extra) and the agent's default excludes, so a side-by-side compares the same work.
 */
import { Config } from '../agent/config/config';
import { agentKeys } from '../agent/keys';

/** The node_exporter collectors the agent also runs by default. */
export const sharedCollectors = [
  'arp',
  'conntrack',
  'cpu',
  'cpufreq',
  'diskstats',
  'entropy',
  'filefd',
  'filesystem',
  'loadavg',
  'meminfo',
  'netclass',
  'netdev',
  'netstat',
  'os',
  'pressure',
  'sockstat',
  'softnet',
  'stat',
  'thermal_zone',
  'time',
  'udp_queues',
  'uname',
  'vmstat',
];

/** node_exporter's flags for `sharedCollectors` with the agent's filters (the defaults unless `config` is given). */
export function sameCollectorArgs(config: Config = Config.defaults(agentKeys)): string[] {
  return [
    '--collector.disable-defaults',
    ...sharedCollectors.map((c) => `--collector.${c}`),
    `--collector.diskstats.device-exclude=${config.string('collectors.diskstats.device_exclude')}`,
    `--collector.filesystem.mount-points-exclude=${config.string('collectors.filesystem.mount_points_exclude')}`,
    `--collector.filesystem.fs-types-exclude=${config.string('collectors.filesystem.fs_types_exclude')}`,
    '--collector.netdev.device-exclude=',
  ];
}
