import dgram from 'node:dgram';
import t from 'tap';
import { loadNativeEngine } from '../../../agent/collectors/statsd/native-engine';
import { startHarness } from './harness';
import { statsdSuite } from './suite';

const probe = loadNativeEngine({ listen: [], receiveBufferBytes: 0, maxPacketBytes: 8192, socketMode: 0o622, receiverThreads: 1, maxKeysPerInterval: 1000 });
if ('engine' in probe) statsdSuite(t, 'native');
else if (process.env.CI === 'true') t.fail(`the native StatsD path must be built in CI: ${probe.reason}`);
else t.test('native StatsD path', { skip: `native StatsD path unavailable: ${probe.reason}` }, () => undefined);

// Regression: with statsd.receiver_threads > 1 each SO_REUSEPORT socket aggregated its own set, and a member that
// arrived on two sockets was counted once per socket.
t.test('native: a set member arriving on several receiver sockets counts once', { skip: 'engine' in probe ? false : 'native StatsD path unavailable' }, async (t) => {
  const h = await startHarness('native', { 'statsd.receiver_threads': 4 });
  t.teardown(() => h.stop());
  // Many source ports, so the kernel spreads them over the four sockets.
  const socks = Array.from({ length: 24 }, () => dgram.createSocket('udp4'));
  for (const s of socks) await new Promise<void>((r) => s.send('app.users:alice|s\napp.users:bob|s\napp.hits:1|c', h.port, '127.0.0.1', () => r()));
  for (const s of socks) s.close();
  await h.settle(socks.length);
  h.flush();
  t.equal(h.value('app_users'), 2, 'distinct members across sockets');
  t.equal(h.value('app_hits_total'), socks.length, 'counters still add up across sockets');
});

// The native aggregator keeps each key's bytes in per-interval blocks (a key longer than an eighth of a block in a
// block of its own) and only the first bytes in its index: keys equal in their first bytes, and a key far longer
// than the rest, aggregate apart and keep their values over several flushes (blocks handed to JS and freed).
t.test('native: keys sharing their first bytes, and a very long key, aggregate apart over flushes', { skip: 'engine' in probe ? false : 'native StatsD path unavailable' }, async (t) => {
  const h = await startHarness('native', { 'statsd.max_packet_size': 65_536 });
  t.teardown(() => h.stop());
  const long = 'v'.repeat(12_000);
  const names = Array.from({ length: 40 }, (_, k) => `service.requests.handled.by.worker.${k}`);
  for (let round = 1; round <= 3; round++) {
    await h.send(names.map((n, k) => `${n}:${k + 1}|c|#env:prod`).join('\n'), `service.requests.handled.by.worker.0:5|c|#big:${long}`);
    h.flush();
    for (const [k, n] of names.entries()) t.equal(h.value(`${n.replace(/\./g, '_')}_total`, { env: 'prod' }), round * (k + 1), `${n} after flush ${round}`);
    t.equal(h.value('service_requests_handled_by_worker_0_total', { big: long }), round * 5, `the long key after flush ${round}`);
  }
});
