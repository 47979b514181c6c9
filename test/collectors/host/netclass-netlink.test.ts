// netclass from an rtnetlink link dump: the same metrics as from sysfs on this host, sysfs rules rebuilt from the dump
// (flags, carrier while down, iflink), and the sysfs path whenever the dump is not there or fails.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { maxDumpFailures, netclassCollector, type NetclassOptions } from '../../../agent/collectors/host/netclass';
import { createLinkDumper, LinkField, stats64Fields, type Link, type LinkDumpResult } from '../../../agent/native/netlink';
import type { FamilySamples } from '../../../agent/store/types';
import { collectContext } from './fixture';

const render = (fams: FamilySamples[]): string[] =>
  fams
    .flatMap((f) =>
      f.samples.map(
        (s) =>
          `${f.name}{${Object.entries(s.labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(',')}} ${s.value}`,
      ),
    )
    .sort();

let sysfsReadable = false;
try {
  sysfsReadable = readdirSync('/sys/class/net').length > 0;
} catch {
  sysfsReadable = false;
}
const probe = createLinkDumper();
const live = probe?.dump();
probe?.close();
const sysfsNames = sysfsReadable ? new Set(readdirSync('/sys/class/net')) : new Set<string>();
const skipLive = !sysfsReadable
  ? 'no readable /sys/class/net'
  : !live?.ok
    ? `no link dump here (${live ? live.reason : 'addon not loaded'})`
    : live.links.some((l) => !sysfsNames.has(l.name))
      ? '/sys is mounted from another network namespace than this process’s'
      : false;

t.test('this host: the dump gives what sysfs gives, metric for metric', { skip: skipLive }, async (t) => {
  let dumps = 0;
  const counting: NetclassOptions['openLinks'] = () => {
    const d = createLinkDumper()!;
    return {
      dump: () => {
        dumps++;
        return d.dump();
      },
      close: () => d.close(),
    };
  };
  const viaLinks = netclassCollector({ openLinks: counting });
  const viaSysfs = netclassCollector({ openLinks: () => undefined });
  t.teardown(() => viaLinks.close?.());
  const ctx = () => collectContext({ sysfs: '/sys' });
  // Counters (carrier changes) may move between two reads: a match with the sysfs read before or after is enough.
  let matched = false;
  let last: [string[], string[]] = [[], []];
  for (let i = 0; i < 5 && !matched; i++) {
    const before = render(await viaSysfs.collect(ctx()));
    const c = ctx();
    const links = render(await viaLinks.collect(c));
    const after = render(await viaSysfs.collect(ctx()));
    t.same(c.issues, [], 'the dump worked');
    matched = JSON.stringify(links) === JSON.stringify(before) || JSON.stringify(links) === JSON.stringify(after);
    last = [links, after];
  }
  t.same(last[0], last[1], 'identical series and values');
  t.ok(
    last[0].some((l) => l.startsWith('node_network_flags{')),
    'flags rebuilt from the dump',
  );
  t.ok(dumps > 0, 'the collector used the dump');
  // The dump's values are the ones reported: a dump with every mtu one higher shows in node_network_mtu_bytes.
  const shifted = netclassCollector({
    openLinks: () => {
      const d = createLinkDumper()!;
      return {
        dump: () => {
          const r = d.dump();
          if (r.ok) for (const l of r.links) l.nums[LinkField.mtu]! += 1;
          return r;
        },
        close: () => d.close(),
      };
    },
  });
  t.teardown(() => shifted.close?.());
  const mtus = (fams: FamilySamples[]) => fams.find((f) => f.name === 'node_network_mtu_bytes')!.samples.map((s) => s.value);
  t.same(
    mtus(await shifted.collect(ctx())),
    mtus(await viaSysfs.collect(ctx())).map((v) => v! + 1),
  );
});

/** A link as the dump would give it. */
function link(name: string, nums: Partial<Record<keyof typeof LinkField, number>>, strings: Partial<Pick<Link, 'address' | 'broadcast' | 'ifalias'>> = {}): Link {
  const n = new Float64Array(LinkField.stats64 + stats64Fields).fill(NaN);
  for (const [k, v] of Object.entries(nums)) if (v !== undefined) n[LinkField[k as keyof typeof LinkField]] = v;
  return { name, address: '', broadcast: '', ifalias: '', ...strings, nums: n };
}

function fakeSysfs(t: { teardown(fn: () => void): void }, ifaces: Record<string, Record<string, string>>): string {
  const sys = mkdtempSync(join(tmpdir(), 'outrider-netclass-nl-'));
  t.teardown(() => rmSync(sys, { recursive: true, force: true }));
  for (const [dev, attrs] of Object.entries(ifaces)) {
    const dir = join(sys, 'class/net', dev);
    mkdirSync(dir, { recursive: true });
    for (const [k, v] of Object.entries(attrs)) writeFileSync(join(dir, k), v + '\n');
  }
  return sys;
}

const values = (fams: FamilySamples[], device: string): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const f of fams)
    for (const s of f.samples) {
      if (s.labels.device !== device) continue;
      out[f.name.replace('node_network_', '')] = f.name === 'node_network_info' ? s.labels : s.value;
    }
  return out;
};

t.test('sysfs rules rebuilt from the dump; speed, duplex and assign types still read from sysfs', async (t) => {
  // The sysfs tree holds only what the dump lacks (plus a wrong mtu the dump must win over).
  const sys = fakeSysfs(t, {
    eth0: { speed: '1000', duplex: 'full', addr_assign_type: '0', name_assign_type: '4', dev_id: '0x0', mtu: '1' },
    br0: { addr_assign_type: '3' },
  });
  const links = [
    link(
      'eth0',
      { index: 2, type: 1, flags: 0x11143, promiscuity: 1, allmulti: 0, mtu: 9000, operstate: 6, carrier: 1, carrierChanges: 4, carrierUp: 2, carrierDown: 2, txqlen: 1000, group: 0, linkMode: 0 },
      { address: '02:00:00:00:00:01', broadcast: 'ff:ff:ff:ff:ff:ff', ifalias: ' uplink ' },
    ),
    link('br0', { index: 5, type: 1, flags: 0x1002, promiscuity: 0, allmulti: 0, mtu: 1500, operstate: 2, carrier: 1, link: 9 }),
  ];
  const dump = (): LinkDumpResult => ({ ok: true, links });
  const c = netclassCollector({ openLinks: () => ({ dump, close: () => {} }), linksSysfs: sys });
  const ctx = collectContext({ sysfs: sys });
  const fams = await c.collect(ctx);
  t.same(ctx.issues, []);
  const eth0 = values(fams, 'eth0');
  t.same(eth0.info, { device: 'eth0', address: '02:00:00:00:00:01', broadcast: 'ff:ff:ff:ff:ff:ff', duplex: 'full', ifalias: 'uplink', operstate: 'up', adminstate: 'up' });
  t.equal(eth0.flags, 0x1103, 'RUNNING and LOWER_UP taken out, PROMISC from the promiscuity count');
  t.equal(eth0.mtu_bytes, 9000, 'the dump, not sysfs');
  t.equal(eth0.speed_bytes, 125_000_000, 'speed from sysfs');
  t.equal(eth0.name_assign_type, 4, 'from sysfs');
  t.equal(eth0.carrier, 1);
  t.equal(eth0.dormant, 0, 'up and not IFF_DORMANT');
  t.equal(eth0.iface_link, 2, 'no IFLA_LINK: the index, as sysfs iflink says');
  t.equal(eth0.carrier_up_changes_total, 2);
  const br0 = values(fams, 'br0');
  t.equal(br0.up, 0);
  t.equal(br0.carrier, undefined, 'down: sysfs refuses carrier, so the dump value is left out');
  t.equal(br0.dormant, undefined, 'down: sysfs refuses dormant');
  t.equal(br0.iface_link, 9);
  t.equal(br0.flags, 0x1002);
  t.equal(br0.address_assign_type, 3);
  t.equal((br0.info as Record<string, string>).adminstate, 'down');
});

t.test('a kernel without IFLA_ALLMULTI: flags read from sysfs', async (t) => {
  const sys = fakeSysfs(t, { eth0: { flags: '0x1203' } });
  const links = [link('eth0', { index: 2, type: 1, flags: 0x11043, promiscuity: 0, mtu: 1500, operstate: 6 })];
  const c = netclassCollector({ openLinks: () => ({ dump: () => ({ ok: true, links }), close: () => {} }), linksSysfs: sys });
  t.equal(values(await c.collect(collectContext({ sysfs: sys })), 'eth0').flags, 0x1203);
});

t.test('the sysfs path: a fixture root, a failing dump (given up after a few), a dump of another namespace', async (t) => {
  const sys = fakeSysfs(t, { eth0: { operstate: 'up', ifindex: '2', mtu: '1500', flags: '0x1003', carrier: '1' } });
  let opened = 0;
  let closed = 0;
  let calls = 0;
  const failing: NetclassOptions['openLinks'] = () => {
    opened++;
    return {
      dump: () => {
        calls++;
        return { ok: false, reason: 'recvmsg: EAGAIN', errno: 'EAGAIN' };
      },
      close: () => closed++,
    };
  };
  const other = netclassCollector({ openLinks: failing, linksSysfs: '/somewhere/else' });
  t.equal(values(await other.collect(collectContext({ sysfs: sys })), 'eth0').mtu_bytes, 1500);
  t.equal(opened, 0, 'a sysfs root other than the dump’s: never opened');

  const c = netclassCollector({ openLinks: failing, linksSysfs: sys });
  for (let i = 0; i < maxDumpFailures + 2; i++) {
    const ctx = collectContext({ sysfs: sys });
    t.equal(values(await c.collect(ctx), 'eth0').mtu_bytes, 1500, 'read from sysfs');
    if (i === 0) t.match(ctx.issues, [/link dump failed/]);
  }
  t.equal(calls, maxDumpFailures, 'no more dumps after the failures in a row');
  t.equal(closed, 1);

  const foreign = [link('eth0', { index: 2, mtu: 9000 }), link('veth7', { index: 7, mtu: 9000 })];
  let foreignDumps = 0;
  const ns = netclassCollector({ openLinks: () => ({ dump: () => (foreignDumps++, { ok: true, links: foreign }), close: () => {} }), linksSysfs: sys });
  t.equal(values(await ns.collect(collectContext({ sysfs: sys })), 'eth0').mtu_bytes, 1500, 'a link sysfs does not list: the dump is not this sysfs');
  for (let i = 1; i < maxDumpFailures + 2; i++) t.equal(values(await ns.collect(collectContext({ sysfs: sys })), 'eth0').mtu_bytes, 1500);
  t.equal(foreignDumps, maxDumpFailures, 'a lasting mismatch stops the dumps like failures in a row');
});
