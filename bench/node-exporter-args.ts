/**
 * node_exporter run with 23 of the agent's host collectors and its filters: the set `host-collect.js` times on both
 * sides (cgroup added on the agent's side). The agent runs these and 25 more by default; node_exporter's own
 * defaults (46 on Debian's build, systemd among them) are nearly the agent's 48.
 */
import { Config } from '../agent/config/config';
import { agentKeys } from '../agent/keys';

/** The node_exporter collectors `host-collect.js` runs on both sides. */
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

/** node_exporter's flags for `sharedCollectors` alone, with the agent's filters (its defaults unless `config` is given). */
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
