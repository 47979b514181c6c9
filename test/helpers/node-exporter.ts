/**
 * node_exporter started beside the agent on the same work: the node_exporter collectors the agent implements (cgroup
 * is cAdvisor's territory, not node_exporter's) with the agent's default filters, so both look at the same devices,
 * mounts and files. Used by the agreement test and by the benchmarks that compare the two.
 */
import type { Config } from '../../agent/config/config';

/** The node_exporter collectors this agent implements, by node_exporter's names. */
export const nodeExporterCollectors: readonly string[] = [
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
  'timex',
  'udp_queues',
  'uname',
  'vmstat',
];

/** node_exporter's flags for `collectors` alone, with the device, mount and file system filters of `config`. */
export function nodeExporterArgs(config: Config, collectors: readonly string[] = nodeExporterCollectors): string[] {
  return [
    '--collector.disable-defaults',
    ...collectors.map((c) => `--collector.${c}`),
    `--collector.diskstats.device-exclude=${config.string('collectors.diskstats.device_exclude')}`,
    `--collector.filesystem.mount-points-exclude=${config.string('collectors.filesystem.mount_points_exclude')}`,
    `--collector.filesystem.fs-types-exclude=${config.string('collectors.filesystem.fs_types_exclude')}`,
    '--collector.netdev.device-exclude=',
  ];
}
