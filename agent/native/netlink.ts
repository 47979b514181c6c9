/**
 * The links of the process's network namespace from one rtnetlink RTM_GETLINK dump (native/src/netlink_binding.cc):
 * state, addresses and counters of every interface in one request where sysfs takes one open/read/close per
 * attribute. The dump's socket is kept open between dumps (one dump ~30 µs of CPU on a 4-interface host against
 * ~50 µs opening a socket each time).
 *
 * The pure-TS twin is reading /sys/class/net/<iface>/* (agent/collectors/host/netclass.ts), used when the addon is
 * not loaded, predates this binding, or a dump fails.
 *
 * Layout shared with the C++ side: for link i, `strings[4i..4i+3]` are name, address, broadcast and ifalias, and
 * `nums[i * fields + k]` its numbers in {@link LinkField} order (NaN when the kernel did not send one).
 */
import { nativeBinding } from './loader';

/** Indices of a link's numbers (net::LinkField in native/src/net/netlink_link.h). */
export const LinkField = {
  index: 0,
  type: 1,
  /** ifi_flags: dev_get_flags(), with RUNNING/LOWER_UP/DORMANT computed and PROMISC/ALLMULTI as user-requested. */
  flags: 2,
  mtu: 3,
  operstate: 4,
  carrier: 5,
  carrierChanges: 6,
  carrierUp: 7,
  carrierDown: 8,
  txqlen: 9,
  group: 10,
  linkMode: 11,
  /** IFLA_LINK: present only when it differs from the index. */
  link: 12,
  promiscuity: 13,
  /** IFLA_ALLMULTI (Linux 6.7+). */
  allmulti: 14,
  /** First of the rtnl_link_stats64 counters, struct order (rx_packets, tx_packets, rx_bytes, ...). */
  stats64: 15,
} as const;
export const stats64Fields = 24;
const FIELDS = LinkField.stats64 + stats64Fields;

export interface Link {
  name: string;
  /** Hardware address as sysfs prints it (aa:bb:...), '' when the link has none. */
  address: string;
  broadcast: string;
  ifalias: string;
  /** The link's numbers in {@link LinkField} order; NaN when absent. */
  nums: Float64Array;
}

export interface NetlinkStats {
  dumps: number;
  failures: number;
  truncated: number;
  interrupted: number;
  skipped: number;
  sockets: number;
  bufferBytes: number;
}

/** The addon's layout: four strings and {@link LinkField}-ordered numbers per link. */
export interface RawLinks {
  strings: string[];
  nums: Float64Array;
}

interface RawNetlinkRoute {
  dumpLinks(): RawLinks;
  stats(): NetlinkStats;
  close(): void;
}

interface NetlinkBinding {
  netlinkLinkFields?: number;
  NetlinkRoute?: new (opts: { keepOpen: boolean }) => RawNetlinkRoute;
}

/** Links from the addon's layout (also the testing addon's parser output). */
export function toLinks(raw: RawLinks): Link[] {
  const out: Link[] = [];
  const n = raw.strings.length / 4;
  for (let i = 0; i < n; i++) {
    out.push({
      name: raw.strings[4 * i]!,
      address: raw.strings[4 * i + 1]!,
      broadcast: raw.strings[4 * i + 2]!,
      ifalias: raw.strings[4 * i + 3]!,
      nums: raw.nums.subarray(i * FIELDS, (i + 1) * FIELDS),
    });
  }
  return out;
}

/** A dump, or why there is none (`errno` set when a call or the kernel's answer failed). */
export type LinkDumpResult = { ok: true; links: Link[] } | { ok: false; reason: string; errno?: string };

export class LinkDumper {
  readonly #raw: RawNetlinkRoute;

  constructor(ctor: NonNullable<NetlinkBinding['NetlinkRoute']>, keepOpen: boolean) {
    this.#raw = new ctor({ keepOpen });
  }

  /** Every link of the namespace; never throws. */
  dump(): LinkDumpResult {
    try {
      return { ok: true, links: toLinks(this.#raw.dumpLinks()) };
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown };
      return { ok: false, reason: String(err?.message ?? e), ...(typeof err?.code === 'string' ? { errno: err.code } : {}) };
    }
  }

  stats(): NetlinkStats {
    return this.#raw.stats();
  }

  close(): void {
    this.#raw.close();
  }
}

function binding(): NetlinkBinding | undefined {
  const b = nativeBinding() as NetlinkBinding | null;
  // A module built with another layout is refused rather than misread.
  if (!b?.NetlinkRoute || b.netlinkLinkFields !== FIELDS) return undefined;
  return b;
}

/** A dumper (socket kept open unless `keepOpen` is false), or undefined where the addon or its netlink binding is not loaded. */
export function createLinkDumper(keepOpen = true): LinkDumper | undefined {
  const b = binding();
  return b?.NetlinkRoute ? new LinkDumper(b.NetlinkRoute, keepOpen) : undefined;
}
