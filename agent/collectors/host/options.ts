/**
 * The host collectors' settings, parsed and typed once per configuration: regular expressions compiled, durations
 * and counts read. A collection reads these options, never the Config (a configuration is immutable; a reload hands
 * the runner a new one, which gets its own options).
 */
import type { Config } from '../../config/config';
import { regex } from './text';

export interface HostOptions {
  /** `udevDataPath` empty: <rootfs>/run/udev/data. */
  diskstats: { include: RegExp | undefined; exclude: RegExp | undefined; udevDataPath: string };
  filesystem: {
    mountPointsExclude: RegExp | undefined;
    fsTypesExclude: RegExp | undefined;
    statfsTimeoutMs: number;
    statfsThreads: number;
    statfsMaxBlocked: number;
    intervalMs: number;
  };
  netdev: { include: RegExp | undefined; exclude: RegExp | undefined };
  netclass: { exclude: RegExp | undefined; ignoreInvalidSpeed: boolean };
  arp: { include: RegExp | undefined; exclude: RegExp | undefined };
  netstat: { fields: RegExp | undefined };
  vmstat: { fields: RegExp | undefined };
  powersupplyclass: { ignoredSupplies: RegExp | undefined };
  tapestats: { ignoredDevices: RegExp | undefined };
  /** Sensors are matched as `<chip>;<sensor>`. */
  hwmon: { chipInclude: RegExp | undefined; chipExclude: RegExp | undefined; sensorInclude: RegExp | undefined; sensorExclude: RegExp | undefined };
  /** Empty: the agent's own cgroup, from /proc/self/cgroup. */
  cgroup: { path: string };
  /** Paths or globs, in order; empty: the textfile collector reads no directory. */
  textfile: { directories: string[] };
}

/** Parses every host collector key of `config` (the keys' own checks have already validated the expressions). */
export function optionsFrom(config: Config): HostOptions {
  const re = (key: string): RegExp | undefined => regex(config.string(key));
  return {
    diskstats: {
      include: re('collectors.diskstats.device_include'),
      exclude: re('collectors.diskstats.device_exclude'),
      udevDataPath: config.string('collectors.diskstats.udev_data_path'),
    },
    filesystem: {
      mountPointsExclude: re('collectors.filesystem.mount_points_exclude'),
      fsTypesExclude: re('collectors.filesystem.fs_types_exclude'),
      statfsTimeoutMs: config.number('collectors.filesystem.statfs_timeout'),
      statfsThreads: config.number('collectors.filesystem.statfs_threads'),
      statfsMaxBlocked: config.number('collectors.filesystem.statfs_max_blocked'),
      intervalMs: config.number('collectors.filesystem.interval'),
    },
    netdev: { include: re('collectors.netdev.device_include'), exclude: re('collectors.netdev.device_exclude') },
    netclass: { exclude: re('collectors.netclass.device_exclude'), ignoreInvalidSpeed: config.bool('collectors.netclass.ignore_invalid_speed') },
    arp: { include: re('collectors.arp.device_include'), exclude: re('collectors.arp.device_exclude') },
    netstat: { fields: re('collectors.netstat.fields') },
    vmstat: { fields: re('collectors.vmstat.fields') },
    powersupplyclass: { ignoredSupplies: re('collectors.powersupplyclass.ignored_supplies') },
    tapestats: { ignoredDevices: re('collectors.tapestats.ignored_devices') },
    hwmon: {
      chipInclude: re('collectors.hwmon.chip_include'),
      chipExclude: re('collectors.hwmon.chip_exclude'),
      sensorInclude: re('collectors.hwmon.sensor_include'),
      sensorExclude: re('collectors.hwmon.sensor_exclude'),
    },
    cgroup: { path: config.string('collectors.cgroup.path') },
    textfile: { directories: config.list('collectors.textfile.directory') },
  };
}

/**
 * node_exporter's include/exclude pair: a name is left out when it matches `exclude` or, with `include` set, does not
 * match `include` (both unanchored, both applied when both are set).
 */
export function ignored(name: string, include: RegExp | undefined, exclude: RegExp | undefined): boolean {
  return (exclude !== undefined && exclude.test(name)) || (include !== undefined && !include.test(name));
}

const parsed = new WeakMap<Config, HostOptions>();

/**
 * The options of `config`, parsed on first use and kept for as long as the configuration lives: the composition
 * root asks once when it builds the runner, and every collection after that is a lookup.
 */
export function hostOptions(config: Config): HostOptions {
  let o = parsed.get(config);
  if (o === undefined) {
    o = optionsFrom(config);
    parsed.set(config, o);
  }
  return o;
}
