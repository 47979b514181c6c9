/**
 * nfsd: /proc/net/rpc/nfsd (the NFS server's statistics) → node_nfsd_* as node_exporter's nfsd collector: reply
 * cache, stale file handles, disk bytes, threads, read-ahead cache, packets by proto, RPC errors, and
 * node_nfsd_requests_total{proto,method} for NFSv2, v3 and the v4 operations (`proc4ops`, indexed by the kernel's
 * operation numbers). Lines a kernel does not write read as 0; unknown lines are ignored. No file: NoDataError.
 */
import { join } from './join';
import { Collector, family, Issues } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fixedLine, parseRpcStats, procCounts, v2Names, v3Names } from './rpc-stats';
import { readTextRequired } from './text';

/** NFSv4 operations node_exporter reports, with their operation numbers (RFC 7530/8881): count i is op i-1. */
const v4Ops: Array<[string, number]> = [
  ['Access', 3],
  ['Close', 4],
  ['Commit', 5],
  ['Create', 6],
  ['DelegPurge', 7],
  ['DelegReturn', 8],
  ['GetAttr', 9],
  ['GetFH', 10],
  ['Link', 11],
  ['Lock', 12],
  ['Lockt', 13],
  ['Locku', 14],
  ['Lookup', 15],
  ['LookupRoot', 16],
  ['Nverify', 17],
  ['Open', 18],
  ['OpenAttr', 19],
  ['OpenConfirm', 20],
  ['OpenDgrd', 21],
  ['PutFH', 22],
  ['Read', 25],
  ['ReadDir', 26],
  ['ReadLink', 27],
  ['Remove', 28],
  ['Rename', 29],
  ['Renew', 30],
  ['RestoreFH', 31],
  ['SaveFH', 32],
  ['SecInfo', 33],
  ['SetAttr', 34],
  ['Verify', 37],
  ['Write', 38],
  ['RelLockOwner', 39],
];

const c = (name: string, help: string, value: number, type: FamilySamples['type'] = 'counter'): FamilySamples => family(name, help, type, [{ labels: {}, value }]);

export function nfsdFamilies(text: string, issues: Issues = []): FamilySamples[] {
  const file = 'nfsd';
  const stats = parseRpcStats(text, issues, file);
  const out: FamilySamples[] = [];
  const rc = fixedLine(stats, 'rc', 3, issues, file);
  if (rc) {
    out.push(
      c('node_nfsd_reply_cache_hits_total', 'Total number of NFSd Reply Cache hits (client lost server response).', rc[0]!),
      c('node_nfsd_reply_cache_misses_total', 'Total number of NFSd Reply Cache an operation that requires caching (idempotent).', rc[1]!),
      c('node_nfsd_reply_cache_nocache_total', 'Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).', rc[2]!),
    );
  }
  const fh = fixedLine(stats, 'fh', 5, issues, file);
  if (fh) out.push(c('node_nfsd_file_handles_stale_total', 'Total number of NFSd stale file handles', fh[0]!));
  const io = fixedLine(stats, 'io', 2, issues, file);
  if (io) out.push(c('node_nfsd_disk_bytes_read_total', 'Total NFSd bytes read.', io[0]!), c('node_nfsd_disk_bytes_written_total', 'Total NFSd bytes written.', io[1]!));
  const th = fixedLine(stats, 'th', 2, issues, file);
  if (th) out.push(c('node_nfsd_server_threads', 'Total number of NFSd kernel threads that are running.', th[0]!, 'gauge'));
  const ra = fixedLine(stats, 'ra', 12, issues, file);
  if (ra) {
    out.push(
      c('node_nfsd_read_ahead_cache_size_blocks', 'How large the read ahead cache is in blocks.', ra[0]!, 'gauge'),
      c('node_nfsd_read_ahead_cache_not_found_total', 'Total number of NFSd read ahead cache not found.', ra[11]!),
    );
  }
  const net = fixedLine(stats, 'net', 4, issues, file);
  if (net) {
    out.push(
      family('node_nfsd_packets_total', 'Total NFSd network packets (sent+received) by protocol type.', 'counter', [
        { labels: { proto: 'udp' }, value: net[1]! },
        { labels: { proto: 'tcp' }, value: net[2]! },
      ]),
      c('node_nfsd_connections_total', 'Total number of NFSd TCP connections.', net[3]!),
    );
  }
  const rpc = fixedLine(stats, 'rpc', 5, issues, file);
  if (rpc) {
    out.push(
      family('node_nfsd_rpc_errors_total', 'Total number of NFSd RPC errors by error type.', 'counter', [
        { labels: { error: 'fmt' }, value: rpc[2]! },
        { labels: { error: 'auth' }, value: rpc[3]! },
        { labels: { error: 'cInt' }, value: rpc[4]! },
      ]),
      c('node_nfsd_server_rpcs_total', 'Total number of NFSd RPCs.', rpc[0]!),
    );
  }
  const requests = family('node_nfsd_requests_total', 'Total number NFSd Requests by method and protocol.', 'counter');
  for (const [proto, line, names, min] of [
    ['2', 'proc2', v2Names, 18],
    ['3', 'proc3', v3Names, 22],
  ] as const) {
    const counts = stats.has(line) ? procCounts(stats, line, names, min, issues, file) : new Map(names.map((n) => [n, 0]));
    for (const [method, value] of counts ?? []) if (method !== 'Null') requests.samples.push({ labels: { method, proto }, value });
  }
  const ops = stats.get('proc4ops');
  if (ops === undefined || (ops.length - 1 === ops[0] && ops[0]! >= 39)) {
    for (const [method, op] of v4Ops) requests.samples.push({ labels: { method, proto: '4' }, value: ops?.[op + 1] ?? 0 });
  } else {
    issues.push(`${file}: proc4ops announces ${ops[0]} counts, has ${ops.length - 1} (at least 39 expected)`);
  }
  out.push(requests);
  return out;
}

export function nfsdCollector(): Collector {
  return {
    name: 'nfsd',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      return nfsdFamilies(await readTextRequired(join(ctx.paths.procfs, 'net/rpc/nfsd')), ctx.issues);
    },
  };
}
