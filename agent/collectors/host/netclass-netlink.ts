/**
 * netclass's attributes from an rtnetlink link dump (agent/native/netlink.ts), each as the text its
 * /sys/class/net/<iface>/<file> would hold, so both sources go through the same parsing and give the same metrics.
 * Where the two differ in the kernel, the sysfs rule is rebuilt here:
 *  - `flags` is dev->flags; the dump's ifi_flags is dev_get_flags(): RUNNING, LOWER_UP and DORMANT computed from
 *    the operational state, PROMISC and ALLMULTI as requested by users. They are taken out, and PROMISC/ALLMULTI put
 *    back from the promiscuity and allmulti counts (as dev->flags has them); without IFLA_ALLMULTI (Linux < 6.7)
 *    `flags` is left to sysfs.
 *  - `carrier` and `dormant` are refused by sysfs (EINVAL) while the interface is down: left out then too.
 *  - `iflink` is IFLA_LINK, which the kernel sends only when it differs from the index.
 * Attributes the dump does not carry (speed, duplex, dev_id, name/addr_assign_type) answer null: read from sysfs.
 */
import { LinkField, type Link } from '../../native/netlink';

/** IF_OPER_* → the words sysfs's operstate prints. */
const operstates = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

const IFF_UP = 0x1;
const IFF_PROMISC = 0x100;
const IFF_ALLMULTI = 0x200;
/** RUNNING | LOWER_UP | DORMANT: computed by dev_get_flags(), not in dev->flags. */
const COMPUTED = 0x40 | 0x10000 | 0x20000;

const dec = (v: number | undefined): string | undefined => (v === undefined || Number.isNaN(v) ? undefined : String(v));

/** sysfs's "%#x": 0x-prefixed lower-case hex, plain "0" for zero. */
const hex = (v: number): string => (v === 0 ? '0' : `0x${v.toString(16)}`);

/** dev->flags as sysfs prints it, or undefined when the dump cannot rebuild it (no IFLA_ALLMULTI). */
function sysfsFlags(n: Float64Array): string | undefined {
  const flags = n[LinkField.flags]!;
  const promiscuity = n[LinkField.promiscuity]!;
  const allmulti = n[LinkField.allmulti]!;
  if (Number.isNaN(flags) || Number.isNaN(promiscuity) || Number.isNaN(allmulti)) return undefined;
  let f = (flags & ~(COMPUTED | IFF_PROMISC | IFF_ALLMULTI)) >>> 0;
  if (promiscuity > 0) f |= IFF_PROMISC;
  if (allmulti > 0) f |= IFF_ALLMULTI;
  return hex(f >>> 0);
}

/**
 * The text of sysfs attribute `file` of this link, trimmed as netclass reads it; undefined where sysfs would refuse
 * it; null where the dump does not carry it (read it from sysfs).
 */
export function linkAttr(link: Link, file: string): string | undefined | null {
  const n = link.nums;
  const up = ((n[LinkField.flags]! >>> 0) & IFF_UP) !== 0;
  switch (file) {
    case 'operstate':
      return operstates[n[LinkField.operstate]!];
    case 'ifindex':
      return dec(n[LinkField.index]);
    case 'type':
      return dec(n[LinkField.type]);
    case 'flags':
      return sysfsFlags(n) ?? null;
    case 'carrier':
      return up ? dec(n[LinkField.carrier]) : undefined;
    case 'dormant':
      return up ? ((n[LinkField.flags]! >>> 0) & 0x20000 ? '1' : '0') : undefined;
    case 'carrier_changes':
      return dec(n[LinkField.carrierChanges]);
    case 'carrier_up_count':
      return dec(n[LinkField.carrierUp]);
    case 'carrier_down_count':
      return dec(n[LinkField.carrierDown]);
    case 'mtu':
      return dec(n[LinkField.mtu]);
    case 'tx_queue_len':
      return dec(n[LinkField.txqlen]);
    case 'netdev_group':
      return dec(n[LinkField.group]);
    case 'link_mode':
      return dec(n[LinkField.linkMode]);
    case 'iflink':
      return dec(Number.isNaN(n[LinkField.link]!) ? n[LinkField.index] : n[LinkField.link]);
    case 'address':
      return link.address;
    case 'broadcast':
      return link.broadcast;
    case 'ifalias':
      return link.ifalias.trim();
    default:
      return null;
  }
}
