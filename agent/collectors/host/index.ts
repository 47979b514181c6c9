/**
 * The host collectors, registered by name (node_exporter's collector names; `cgroup` is the agent's own cgroup v2
 * with cAdvisor's names). Each is one file: pure parsers plus a thin reader under the configured roots.
 * `hostCollectors()` builds fresh instances (some keep state: the filesystem collector's statfs threads and stuck
 * mounts), with injectable clocks and statfs for tests.
 */
import type { Collector } from '../collector';
import { cgroupCollector } from './cgroup';
import { conntrackCollector } from './conntrack';
import { cpuCollector } from './cpu';
import { cpufreqCollector } from './cpufreq';
import { diskstatsCollector } from './diskstats';
import { entropyCollector } from './entropy';
import { filefdCollector } from './filefd';
import { filesystemCollector, FilesystemOptions } from './filesystem';
import { loadavgCollector } from './loadavg';
import { meminfoCollector } from './meminfo';
import { netdevCollector } from './netdev';
import { netstatCollector } from './netstat';
import { pressureCollector } from './pressure';
import { sockstatCollector } from './sockstat';
import { statCollector } from './stat';
import { timeCollector, TimeOptions } from './time';
import { unameCollector, UnameOptions } from './uname';
import { vmstatCollector } from './vmstat';

export interface HostCollectorOptions extends FilesystemOptions, TimeOptions, UnameOptions {}

export function hostCollectors(opts: HostCollectorOptions = {}): Collector[] {
  return [
    cgroupCollector(),
    conntrackCollector(),
    cpuCollector(),
    cpufreqCollector(),
    diskstatsCollector(),
    entropyCollector(),
    filefdCollector(),
    filesystemCollector(opts),
    loadavgCollector,
    meminfoCollector(),
    netdevCollector(),
    netstatCollector(),
    pressureCollector(),
    sockstatCollector(),
    statCollector(),
    timeCollector(opts),
    unameCollector(opts),
    vmstatCollector(),
  ];
}

const registered = hostCollectors();

export function hostCollectorNames(): string[] {
  return registered.map((c) => c.name);
}

export function defaultCollectorNames(): string[] {
  return registered.filter((c) => c.defaultEnabled).map((c) => c.name);
}
