// The native StatsD receiver's threads (native/src/net/dgram_receiver.cc) sleep while no datagram comes: the
// receiver in poll(2) until a datagram or the stop, the aggregator in the ring's futex until a record or the close.
// Each wake-up of an idle thread is CPU an idle agent pays; they used to wake every 100 ms to look at the stop flag.
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { nativeStatus } from '../../agent/native';
import { createStatsdReceiver } from '../../agent/native/statsd-receiver';

const skip = process.platform !== 'linux' ? 'Linux only (/proc/self/task)' : nativeStatus().available ? false : `native addon unavailable: ${nativeStatus().reason}`;

const tids = (): number[] => readdirSync('/proc/self/task').map(Number);
/** Voluntary context switches of a thread: one per time it slept and was woken. */
const wakeups = (tid: number): number => Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/self/task/${tid}/status`, 'utf8'))?.[1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('idle receiver and aggregator threads do not wake; a datagram and the stop still reach them', { skip }, async (t) => {
  const before = new Set(tids());
  const r = createStatsdReceiver({ listeners: [{ kind: 'udp', host: '127.0.0.1', port: 0, family: 4 }], ringBytes: 65536 });
  const [bound] = r.open();
  r.start();
  let stopped = false;
  t.teardown(() => (stopped ? undefined : r.stop()));
  await sleep(300);
  const mine = tids().filter((x) => !before.has(x));
  t.ok(mine.length >= 2, `the receiver and aggregator threads are there (${mine.length} new threads)`);

  const w0 = mine.map(wakeups);
  await sleep(2000);
  const woke = mine.map((tid, i) => wakeups(tid) - w0[i]!);
  // Before: ~20 each in 2 s (a 100 ms poll and a 100 ms futex wait). Now: the receiver none, the aggregator one a second.
  for (const [i, n] of woke.entries()) t.ok(n <= 4, `thread ${mine[i]} woke ${n} times in 2 s idle`);

  const s = dgram.createSocket('udp4');
  await new Promise<void>((res) => s.send('idle.check:1|c', bound!.port, '127.0.0.1', () => res()));
  s.close();
  for (let i = 0; i < 500 && r.processed() < 1; i++) await sleep(10);
  t.equal(r.processed(), 1, 'a datagram wakes them');

  r.stop();
  stopped = true;
  for (let i = 0; i < 200 && mine.some((x) => tids().includes(x)); i++) await sleep(10);
  t.same(
    mine.filter((x) => tids().includes(x)),
    [],
    'stop ends both threads',
  );
});
