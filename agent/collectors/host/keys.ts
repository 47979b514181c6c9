import { defineKeys } from '../../config/schema';

/** A regular expression (JavaScript syntax, which reads node_exporter's defaults unchanged); empty disables it. */
function isRegex(value: unknown): string | undefined {
  try {
    new RegExp(String(value));
    return undefined;
  } catch (err) {
    return `a valid regular expression (${(err as Error).message})`;
  }
}

/**
 * Keys of the host collectors (node_exporter's), under collectors.<name>. `flagAliases` are node_exporter's own flag
 * names (current and deprecated spellings), so a command line written for node_exporter works unchanged.
 */
export const hostKeys = defineKeys([
  {
    key: 'collectors.textfile.directory',
    flagAliases: ['collector.textfile.directory'],
    type: 'list',
    item: 'string',
    singleItem: true,
    default: [],
    help: "Directories (each a path or a glob) whose *.prom files the textfile collector exposes, in order (node_exporter's --collector.textfile.directory, repeatable); empty reads none.",
  },
  {
    key: 'collectors.diskstats.device_exclude',
    flagAliases: ['collector.diskstats.device-exclude', 'collector.diskstats.ignored-devices'],
    type: 'string',
    default: '^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$',
    check: isRegex,
    help: 'Block devices (names in /proc/diskstats) the diskstats collector leaves out; empty keeps every device.',
  },
  {
    key: 'collectors.diskstats.device_include',
    flagAliases: ['collector.diskstats.device-include'],
    type: 'string',
    default: '',
    check: isRegex,
    help: 'When set, only block devices matching this expression are reported (applied before device_exclude).',
  },
  {
    key: 'collectors.diskstats.udev_data_path',
    flagAliases: ['path.udev.data'],
    type: 'string',
    default: '',
    help: "Directory of the udev database the diskstats collector reads device properties from (node_exporter's --path.udev.data); empty is <path.rootfs>/run/udev/data.",
  },
  {
    key: 'collectors.filesystem.mount_points_exclude',
    flagAliases: ['collector.filesystem.mount-points-exclude', 'collector.filesystem.ignored-mount-points'],
    type: 'string',
    default: '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)',
    check: isRegex,
    help: 'Mount points the filesystem collector leaves out.',
  },
  {
    key: 'collectors.filesystem.fs_types_exclude',
    flagAliases: ['collector.filesystem.fs-types-exclude', 'collector.filesystem.ignored-fs-types'],
    type: 'string',
    default:
      '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|erofs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$',
    check: isRegex,
    help: 'Filesystem types the filesystem collector leaves out.',
  },
  {
    key: 'collectors.filesystem.statfs_timeout',
    type: 'duration',
    default: 1000,
    min: 10,
    help: 'Deadline of one statfs call; a mount that passes it is reported with node_filesystem_device_error 1 and skipped until the call returns.',
  },
  {
    key: 'collectors.filesystem.statfs_threads',
    type: 'int',
    default: 1,
    min: 1,
    max: 16,
    help: 'Threads that make statfs calls (native threads in the addon, else worker threads; outside the libuv pool, so a hung mount cannot starve file reads).',
  },
  {
    key: 'collectors.filesystem.statfs_max_blocked',
    type: 'int',
    default: 4,
    min: 0,
    max: 64,
    help: 'Extra statfs threads that may replace ones blocked on hung mounts: the pool never holds more than statfs_threads + statfs_max_blocked, and past that statfs calls fail at once (device_error 1).',
  },
  {
    key: 'collectors.filesystem.interval',
    type: 'duration',
    default: 5000,
    min: 0,
    help: 'Least time between two statfs passes over the mount table; runs in between repeat the last pass (0: every run).',
  },
  {
    key: 'collectors.netdev.device_exclude',
    flagAliases: ['collector.netdev.device-exclude', 'collector.netdev.device-blacklist'],
    type: 'string',
    default: '',
    check: isRegex,
    help: 'Network interfaces the netdev collector leaves out; empty keeps every interface.',
  },
  {
    key: 'collectors.netdev.device_include',
    flagAliases: ['collector.netdev.device-include', 'collector.netdev.device-whitelist'],
    type: 'string',
    default: '',
    check: isRegex,
    help: 'When set, only network interfaces matching this expression are reported.',
  },
  {
    key: 'collectors.netclass.device_exclude',
    flagAliases: ['collector.netclass.ignored-devices'],
    type: 'string',
    default: '',
    check: isRegex,
    help: 'Network interfaces the netclass collector (interface properties from /sys/class/net) leaves out.',
  },
  {
    key: 'collectors.netclass.ignore_invalid_speed',
    flagAliases: ['collector.netclass.ignore-invalid-speed'],
    type: 'bool',
    default: false,
    help: 'Leave out node_network_speed_bytes of interfaces whose speed the kernel reports as unknown (-1); off reports them as -125000, as node_exporter does by default.',
  },
  {
    key: 'collectors.arp.device_include',
    flagAliases: ['collector.arp.device-include'],
    type: 'string',
    default: '',
    check: isRegex,
    help: 'When set, only interfaces matching this expression get node_arp_entries.',
  },
  {
    key: 'collectors.arp.device_exclude',
    flagAliases: ['collector.arp.device-exclude'],
    type: 'string',
    default: '',
    check: isRegex,
    help: 'Interfaces the arp collector leaves out.',
  },
  {
    key: 'collectors.netstat.fields',
    flagAliases: ['collector.netstat.fields'],
    type: 'string',
    default:
      '^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$',
    check: isRegex,
    help: 'Fields (Protocol_Name) of /proc/net/{netstat,snmp,snmp6} the netstat collector exposes.',
  },
  {
    key: 'collectors.vmstat.fields',
    flagAliases: ['collector.vmstat.fields'],
    type: 'string',
    default: '^(oom_kill|pgpg|pswp|pg.*fault).*',
    check: isRegex,
    help: 'Fields of /proc/vmstat the vmstat collector exposes.',
  },
  {
    key: 'collectors.powersupplyclass.ignored_supplies',
    flagAliases: ['collector.powersupply.ignored-supplies'],
    type: 'string',
    default: '^$',
    check: isRegex,
    help: "Power supplies (names in /sys/class/power_supply) the powersupplyclass collector leaves out (node_exporter's --collector.powersupply.ignored-supplies).",
  },
  {
    key: 'collectors.tapestats.ignored_devices',
    flagAliases: ['collector.tapestats.ignored-devices'],
    type: 'string',
    default: '^$',
    check: isRegex,
    help: "Tape devices (names in /sys/class/scsi_tape) the tapestats collector leaves out (node_exporter's --collector.tapestats.ignored-devices).",
  },
  {
    key: 'collectors.hwmon.chip_include',
    flagAliases: ['collector.hwmon.chip-include'],
    type: 'string',
    default: '',
    check: isRegex,
    help: 'When set, only hwmon chips (the `chip` label, e.g. platform_coretemp_0) matching this expression are reported.',
  },
  {
    key: 'collectors.hwmon.chip_exclude',
    flagAliases: ['collector.hwmon.chip-exclude'],
    type: 'string',
    default: '',
    check: isRegex,
    help: 'hwmon chips (the `chip` label) the hwmon collector leaves out.',
  },
  {
    key: 'collectors.hwmon.sensor_include',
    flagAliases: ['collector.hwmon.sensor-include'],
    type: 'string',
    default: '',
    check: isRegex,
    help: 'When set, only hwmon sensors whose `<chip>;<sensor>` (e.g. platform_coretemp_0;temp1) matches this expression are reported.',
  },
  {
    key: 'collectors.hwmon.sensor_exclude',
    flagAliases: ['collector.hwmon.sensor-exclude'],
    type: 'string',
    default: '',
    check: isRegex,
    help: 'hwmon sensors, matched as `<chip>;<sensor>`, the hwmon collector leaves out.',
  },
  {
    key: 'collectors.cgroup.path',
    type: 'string',
    default: '',
    help: "cgroup v2 path (under <sysfs>/fs/cgroup) the cgroup collector reports; empty: the agent's own, from /proc/self/cgroup.",
  },
]);
