/**
 * nfs: /proc/net/rpc/nfs (the NFS client's RPC statistics) → node_nfs_{packets_total{protocol}, connections_total,
 * rpcs_total, rpc_retransmissions_total, rpc_authentication_refreshes_total} and node_nfs_requests_total{proto,method}
 * for NFSv2, v3 and v4 (node_exporter's nfs collector; v4 counts a kernel does not write read as 0). No file (the nfs
 * module is not loaded): NoDataError.
 */
import { join } from './join';
import { Collector, family, Issues } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fixedLine, parseRpcStats, procCounts, v2Names, v3Names } from './rpc-stats';
import { readTextRequired } from './text';

const v4Names = [
  'Null',
  'Read',
  'Write',
  'Commit',
  'Open',
  'OpenConfirm',
  'OpenNoattr',
  'OpenDowngrade',
  'Close',
  'Setattr',
  'FsInfo',
  'Renew',
  'SetClientID',
  'SetClientIDConfirm',
  'Lock',
  'Lockt',
  'Locku',
  'Access',
  'Getattr',
  'Lookup',
  'LookupRoot',
  'Remove',
  'Rename',
  'Link',
  'Symlink',
  'Create',
  'Pathconf',
  'StatFs',
  'ReadLink',
  'ReadDir',
  'ServerCaps',
  'DelegReturn',
  'GetACL',
  'SetACL',
  'FsLocations',
  'ReleaseLockowner',
  'Secinfo',
  'FsidPresent',
  'ExchangeID',
  'CreateSession',
  'DestroySession',
  'Sequence',
  'GetLeaseTime',
  'ReclaimComplete',
  'LayoutGet',
  'GetDeviceInfo',
  'LayoutCommit',
  'LayoutReturn',
  'SecinfoNoName',
  'TestStateID',
  'FreeStateID',
  'GetDeviceList',
  'BindConnToSession',
  'DestroyClientID',
  'Seek',
  'Allocate',
  'DeAllocate',
  'LayoutStats',
  'Clone',
] as const;

export function nfsFamilies(text: string, issues: Issues = []): FamilySamples[] {
  const file = 'nfs';
  const stats = parseRpcStats(text, issues, file);
  const out: FamilySamples[] = [];
  const net = fixedLine(stats, 'net', 4, issues, file);
  if (net) {
    out.push(
      family('node_nfs_packets_total', 'Total NFSd network packets (sent+received) by protocol type.', 'counter', [
        { labels: { protocol: 'udp' }, value: net[1]! },
        { labels: { protocol: 'tcp' }, value: net[2]! },
      ]),
      family('node_nfs_connections_total', 'Total number of NFSd TCP connections.', 'counter', [{ labels: {}, value: net[3]! }]),
    );
  }
  const rpc = fixedLine(stats, 'rpc', 3, issues, file);
  if (rpc) {
    out.push(
      family('node_nfs_rpcs_total', 'Total number of RPCs performed.', 'counter', [{ labels: {}, value: rpc[0]! }]),
      family('node_nfs_rpc_retransmissions_total', 'Number of RPC transmissions performed.', 'counter', [{ labels: {}, value: rpc[1]! }]),
      family('node_nfs_rpc_authentication_refreshes_total', 'Number of RPC authentication refreshes performed.', 'counter', [{ labels: {}, value: rpc[2]! }]),
    );
  }
  const requests = family('node_nfs_requests_total', 'Number of NFS procedures invoked.', 'counter');
  const versions: Array<[string, string, readonly string[], number]> = [
    ['2', 'proc2', v2Names, 18],
    ['3', 'proc3', v3Names, 22],
    ['4', 'proc4', v4Names, 0],
  ];
  for (const [proto, line, names, min] of versions) {
    const counts = stats.has(line) ? procCounts(stats, line, names, min, issues, file) : new Map(names.map((n) => [n, 0]));
    for (const [method, value] of counts ?? []) requests.samples.push({ labels: { method, proto }, value });
  }
  out.push(requests);
  return out;
}

export function nfsCollector(): Collector {
  return {
    name: 'nfs',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      return nfsFamilies(await readTextRequired(join(ctx.paths.procfs, 'net/rpc/nfs')), ctx.issues);
    },
  };
}
