// The rtnetlink link dump (native/src/net/netlink_*.cc): the reply parser on crafted datagrams (truncated
// messages, bad attribute lengths, unknown attributes, foreign sequence numbers, errors) and a live dump.
import { readdirSync } from 'node:fs';
import t from 'tap';
import { nativeStatus } from '../../agent/native';
import { createLinkDumper, LinkField, toLinks, type Link, type RawLinks } from '../../agent/native/netlink';
import { tryNativeTestBinding } from './support/testing-binding';

const skip = nativeStatus().available ? false : nativeStatus().reason;

interface Parsed extends RawLinks {
  status: 'more' | 'done' | 'error' | 'corrupt' | 'too-many';
  error: number;
  interrupted: boolean;
  skipped: number;
  links: Link[];
}
type ParseFn = (bytes: Uint8Array, seq: number, port: number, maxLinks: number) => Omit<Parsed, 'links'>;
const parseFn = (tryNativeTestBinding() as unknown as { netlinkParseLinks?: ParseFn } | null)?.netlinkParseLinks;
const skipParse = skip || (parseFn ? false : 'the testing addon has no netlinkParseLinks');
/** The parser (testing addon) on one crafted datagram. */
function parseLinkReply(bytes: Uint8Array, seq: number, port: number, maxLinks = 65536): Parsed {
  const r = parseFn!(bytes, seq, port, maxLinks);
  return { ...r, links: toLinks(r) };
}
const SEQ = 7;
const PORT = 4242;

function attr(type: number, value: Buffer): Buffer {
  const len = 4 + value.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  value.copy(b, 4);
  return b;
}
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const str = (s: string): Buffer => Buffer.from(s + '\0');

function message(type: number, body: Buffer, opts: { seq?: number; port?: number; flags?: number } = {}): Buffer {
  const len = 16 + body.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(opts.flags ?? 2, 6);
  b.writeUInt32LE(opts.seq ?? SEQ, 8);
  b.writeUInt32LE(opts.port ?? PORT, 12);
  body.copy(b, 16);
  return b;
}

function newlink(index: number, flags: number, attrs: Buffer[], opts = {}): Buffer {
  const ifi = Buffer.alloc(16);
  ifi.writeUInt16LE(1, 2); // ARPHRD_ETHER
  ifi.writeInt32LE(index, 4);
  ifi.writeUInt32LE(flags, 8);
  return message(16, Buffer.concat([ifi, ...attrs]), opts);
}
const done = (opts = {}): Buffer => message(3, u32(0), opts);
const errorMsg = (errno: number): Buffer => message(2, Buffer.concat([u32(-errno >>> 0), Buffer.alloc(16)]));

const eth0 = (): Buffer =>
  newlink(2, 0x11043, [
    attr(3, str('eth0')),
    attr(1, Buffer.from([0x02, 0xfc, 0, 0, 0, 0x1a])),
    attr(4, u32(1500)),
    attr(16, Buffer.from([6])),
    attr(999, Buffer.from('an attribute nobody knows')),
    attr(20, str('uplink port')),
  ]);

t.test('a dump datagram: links, their attributes, and the end of the dump', { skip: skipParse }, async (t) => {
  const r = parseLinkReply(Buffer.concat([eth0(), done()]), SEQ, PORT);
  t.equal(r.status, 'done');
  t.equal(r.links.length, 1);
  const l = r.links[0]!;
  t.equal(l.name, 'eth0');
  t.equal(l.address, '02:fc:00:00:00:1a', 'printed as sysfs prints it');
  t.equal(l.broadcast, '', 'absent');
  t.equal(l.ifalias, 'uplink port');
  t.equal(l.nums[LinkField.index], 2);
  t.equal(l.nums[LinkField.type], 1);
  t.equal(l.nums[LinkField.flags], 0x11043);
  t.equal(l.nums[LinkField.mtu], 1500);
  t.equal(l.nums[LinkField.operstate], 6);
  t.ok(Number.isNaN(l.nums[LinkField.txqlen]!), 'an attribute not sent is NaN');
  t.equal(parseLinkReply(eth0(), SEQ, PORT).status, 'more', 'no DONE yet: the dump goes on');
});

t.test('64-bit counters: as many as the kernel sent, up to rx_nohandler', { skip: skipParse }, async (t) => {
  const stats = Buffer.alloc(25 * 8);
  for (let i = 0; i < 25; i++) stats.writeBigUInt64LE(BigInt(i + 1) * 1000n, i * 8);
  const r = parseLinkReply(newlink(3, 1, [attr(3, str('lo')), attr(23, stats)]), SEQ, PORT);
  const n = r.links[0]!.nums;
  t.equal(n[LinkField.stats64], 1000, 'rx_packets');
  t.equal(n[LinkField.stats64 + 23], 24000, 'rx_nohandler');
  t.equal(n.length, LinkField.stats64 + 24, 'later counters are not kept');
  const old = parseLinkReply(newlink(3, 1, [attr(3, str('lo')), attr(23, stats.subarray(0, 23 * 8))]), SEQ, PORT);
  t.ok(Number.isNaN(old.links[0]!.nums[LinkField.stats64 + 23]!), 'a kernel without rx_nohandler: absent');
});

t.test('malformed replies end the parse as corrupt, never read past the datagram', { skip: skipParse }, async (t) => {
  const whole = eth0();
  t.equal(parseLinkReply(whole.subarray(0, whole.length - 8), SEQ, PORT).status, 'corrupt', 'message cut short');
  const longLen = Buffer.from(whole);
  longLen.writeUInt32LE(whole.length + 100, 0);
  t.equal(parseLinkReply(longLen, SEQ, PORT).status, 'corrupt', 'nlmsg_len past the datagram');
  const tinyLen = Buffer.from(whole);
  tinyLen.writeUInt32LE(8, 0);
  t.equal(parseLinkReply(tinyLen, SEQ, PORT).status, 'corrupt', 'nlmsg_len shorter than its header');
  const noIfi = message(16, Buffer.alloc(8));
  t.equal(parseLinkReply(noIfi, SEQ, PORT).status, 'corrupt', 'RTM_NEWLINK without room for ifinfomsg');
  const badAttr = Buffer.from(whole);
  badAttr.writeUInt16LE(500, 32); // the first attribute (IFLA_IFNAME) claims more than the message holds
  t.equal(parseLinkReply(badAttr, SEQ, PORT).status, 'corrupt', 'nla_len past the message');
  const zeroAttr = Buffer.from(whole);
  zeroAttr.writeUInt16LE(2, 32);
  t.equal(parseLinkReply(zeroAttr, SEQ, PORT).status, 'corrupt', 'nla_len shorter than its header');
  t.equal(parseLinkReply(Buffer.alloc(0), SEQ, PORT).status, 'more', 'an empty datagram holds nothing');
  t.equal(parseLinkReply(Buffer.alloc(10), SEQ, PORT).status, 'more', 'a tail shorter than a header is ignored');
});

t.test('short attributes are left out; unnamed links and foreign messages are skipped', { skip: skipParse }, async (t) => {
  const short = newlink(2, 1, [attr(3, str('eth1')), attr(4, Buffer.from([1, 2])), attr(16, Buffer.alloc(0))]);
  const r = parseLinkReply(short, SEQ, PORT);
  t.ok(Number.isNaN(r.links[0]!.nums[LinkField.mtu]!), 'a 2-byte IFLA_MTU is not read');
  t.ok(Number.isNaN(r.links[0]!.nums[LinkField.operstate]!), 'an empty IFLA_OPERSTATE is not read');
  const long = parseLinkReply(newlink(2, 1, [attr(3, Buffer.from('x'.repeat(200)))]), SEQ, PORT);
  t.equal(long.links[0]!.name.length, 64, 'a name without NUL is cut, not read past');
  const mixed = Buffer.concat([
    newlink(5, 1, [attr(3, str('old'))], { seq: SEQ - 1 }),
    newlink(6, 1, [attr(3, str('other'))], { port: PORT + 1 }),
    newlink(7, 1, [attr(4, u32(1500))]),
    message(1, Buffer.alloc(0)), // NLMSG_NOOP
    eth0(),
    done({ seq: SEQ - 1 }),
  ]);
  const m = parseLinkReply(mixed, SEQ, PORT);
  t.same(
    m.links.map((l) => l.name),
    ['eth0'],
  );
  t.equal(m.skipped, 4, 'an earlier sequence, another port, a link without a name, an earlier DONE');
  t.equal(m.status, 'more', "another request's DONE does not end this dump");
});

t.test('NLMSG_ERROR carries the errno; NLM_F_DUMP_INTR is reported; the link count is bounded', { skip: skipParse }, async (t) => {
  const e = parseLinkReply(errorMsg(13), SEQ, PORT);
  t.equal(e.status, 'error');
  t.equal(e.error, 13);
  t.equal(parseLinkReply(message(2, Buffer.alloc(2)), SEQ, PORT).status, 'corrupt', 'an error message too short for its code');
  t.equal(parseLinkReply(Buffer.concat([message(2, Buffer.alloc(20)), done()]), SEQ, PORT).status, 'done', 'an acknowledgement (error 0) is not an error');
  const intr = parseLinkReply(Buffer.concat([newlink(2, 1, [attr(3, str('a'))], { flags: 0x12 }), done()]), SEQ, PORT);
  t.equal(intr.status, 'done');
  t.equal(intr.interrupted, true);
  const many = Buffer.concat([1, 2, 3].map((i) => newlink(i, 1, [attr(3, str(`l${i}`))])));
  t.equal(parseLinkReply(many, SEQ, PORT, 2).status, 'too-many');
});

t.test('a live dump: every interface sysfs lists, one socket kept open', { skip: skip || (readdirSync('/sys/class/net', { withFileTypes: true }).length === 0 && 'no /sys/class/net') }, async (t) => {
  const d = createLinkDumper()!;
  t.teardown(() => d.close());
  const first = d.dump();
  if (!first.ok) {
    t.fail(first.reason);
    return;
  }
  const sysfs = readdirSync('/sys/class/net', { withFileTypes: true })
    .filter((e) => e.isSymbolicLink() || e.isDirectory())
    .map((e) => e.name)
    .sort();
  const names = first.links.map((l) => l.name).sort();
  // /sys mounted from another network namespace (a container that kept the host's) lists other interfaces.
  if (names.every((n) => sysfs.includes(n))) t.same(names, sysfs, 'the interfaces /sys/class/net lists');
  else t.comment(`/sys lists ${sysfs.join(' ')}, this namespace has ${names.join(' ')}`);
  t.ok(names.length > 0, 'at least lo');
  for (let i = 0; i < 50; i++) t.ok(d.dump().ok);
  const s = d.stats();
  t.equal(s.dumps, 51);
  t.equal(s.sockets, 1, 'the socket is kept between dumps');
  t.equal(s.failures, 0);
  const perDump = createLinkDumper(false)!;
  perDump.dump();
  perDump.dump();
  t.equal(perDump.stats().sockets, 2, 'keepOpen false: a socket per dump');
});

t.test('without the addon: no dumper, so netclass reads sysfs', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const path = await import('node:path');
  const script = `const { createLinkDumper } = require(${JSON.stringify(path.resolve(__dirname, '../../agent/native/netlink.js'))}); process.stdout.write(String(createLinkDumper() === undefined));`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, OUTRIDER_NATIVE: '0' }, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'true');
});
