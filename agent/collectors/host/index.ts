/**
 * The host collectors, registered by name (node_exporter's collector names; `cgroup` is the agent's own cgroup v2
 * with cAdvisor's names). Each is one file: pure parsers plus a thin reader under the configured roots.
 * `hostCollectors()` builds fresh instances (some keep state: the filesystem collector's statfs threads and stuck
 * mounts), with injectable clocks and statfs for tests. The kind is registered in ../kinds.ts.
 */
import type { Collector } from '../collector';
import { arpCollector } from './arp';
import { cgroupCollector } from './cgroup';
import { conntrackCollector } from './conntrack';
import { cpuCollector } from './cpu';
import { cpufreqCollector } from './cpufreq';
import { diskstatsCollector } from './diskstats';
import { entropyCollector } from './entropy';
import { filefdCollector } from './filefd';
import { filesystemCollector, FilesystemOptions } from './filesystem';
import { hwmonCollector } from './hwmon';
import { kernelHungCollector } from './kernel-hung';
import { loadavgCollector } from './loadavg';
import { meminfoCollector } from './meminfo';
import { netclassCollector } from './netclass';
import { netdevCollector } from './netdev';
import { nfsCollector } from './nfs';
import { nfsdCollector } from './nfsd';
import { netstatCollector } from './netstat';
import { osCollector } from './os';
import { pressureCollector } from './pressure';
import { schedstatCollector } from './schedstat';
import { sockstatCollector } from './sockstat';
import { softirqsCollector } from './softirqs';
import { softnetCollector } from './softnet';
import { statCollector } from './stat';
import { textfileCollector } from './textfile';
import { thermalZoneCollector } from './thermal-zone';
import { timeCollector, TimeOptions } from './time';
import { udpQueuesCollector } from './udp-queues';
import { unameCollector, UnameOptions } from './uname';
import { vmstatCollector } from './vmstat';
import { watchdogCollector } from './watchdog';
import { bondingCollector } from './bonding';
import { dmiCollector } from './dmi';
import { dmMultipathCollector } from './dmmultipath';
import { edacCollector } from './edac';
import { mdadmCollector } from './mdadm';
import { powerSupplyClassCollector } from './powersupplyclass';
import { raplCollector } from './rapl';
import { xfsCollector } from './xfs';
import { bcacheCollector } from './bcache';
import { btrfsCollector } from './btrfs';
import { selinuxCollector } from './selinux';
import { infinibandCollector } from './infiniband';
import { ipvsCollector } from './ipvs';
import { zfsCollector } from './zfs';
import { nvmeCollector } from './nvme';
import { fibreChannelCollector } from './fibrechannel';
import { tapestatsCollector } from './tapestats';
import { timexCollector, TimexOptions } from './timex';

export interface HostCollectorOptions extends FilesystemOptions, TimeOptions, UnameOptions, TimexOptions {}

export function hostCollectors(opts: HostCollectorOptions = {}): Collector[] {
  return [
    arpCollector(),
    cgroupCollector(),
    conntrackCollector(),
    cpuCollector(),
    cpufreqCollector(),
    diskstatsCollector(),
    entropyCollector(),
    filefdCollector(),
    filesystemCollector(opts),
    hwmonCollector(),
    kernelHungCollector(),
    loadavgCollector,
    meminfoCollector(),
    netclassCollector(),
    netdevCollector(),
    netstatCollector(),
    nfsCollector(),
    nfsdCollector(),
    osCollector(),
    pressureCollector(),
    schedstatCollector(),
    sockstatCollector(),
    softirqsCollector(),
    softnetCollector(),
    statCollector(),
    textfileCollector(),
    thermalZoneCollector(),
    timeCollector(opts),
    timexCollector(opts),
    udpQueuesCollector(),
    unameCollector(opts),
    vmstatCollector(),
    watchdogCollector(),
    bondingCollector(),
    dmiCollector(),
    dmMultipathCollector(),
    edacCollector(),
    mdadmCollector(),
    powerSupplyClassCollector(),
    raplCollector(),
    xfsCollector(),
    bcacheCollector(),
    btrfsCollector(),
    selinuxCollector(),
    infinibandCollector(),
    ipvsCollector(),
    zfsCollector(),
    nvmeCollector(),
    fibreChannelCollector(),
    tapestatsCollector(),
  ];
}
