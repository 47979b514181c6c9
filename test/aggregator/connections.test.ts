/** Connection limits: per client address, a cap below the fd limit, header and idle timeouts enforced promptly. */
import net from 'node:net';
import t from 'tap';
import { connectionCap, openFilesLimit } from '../../agent/aggregator/connections';
import { metricsMatching, startAggregator, tmpDir } from './helpers';

/** Opens a socket and resolves once connected; `closedIn` measures how long until the server closes it. */
function connect(url: string): Promise<net.Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => resolve(s));
    s.on('error', reject);
  });
}

function closedWithin(s: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    s.on('error', () => undefined);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    s.resume();
  });
}

t.test('the cap stays below the file descriptor limit', async (t) => {
  t.equal(openFilesLimit('Limit  Soft Limit  Hard Limit  Units\nMax open files            1024                 4096                 files\n'), 1024);
  t.equal(openFilesLimit('Max open files            unlimited            unlimited            files\n'), undefined);
  t.equal(connectionCap(20_000, 20_000), 16_000, 'a fifth kept for files and outgoing sockets');
  t.equal(connectionCap(20_000, 1024), 819);
  t.equal(connectionCap(500, 1024), 500);
  const real = openFilesLimit();
  if (real !== undefined) t.ok(connectionCap(1e9) < real);
});

t.test('one client address cannot take more than its share; refusals are counted', async (t) => {
  const agg = await startAggregator(tmpDir(t), { maxConnectionsPerAddress: 4, headersTimeoutMs: 60_000, idleTimeoutMs: 60_000 });
  t.teardown(() => agg.stop());
  const held: net.Socket[] = [];
  t.teardown(() => held.forEach((s) => s.destroy()));
  for (let i = 0; i < 4; i++) held.push(await connect(agg.url()));
  const fifth = await connect(agg.url());
  t.ok(await closedWithin(fifth, 2000), 'the fifth connection from the same address is closed at once');
  for (const s of held) t.notOk(s.destroyed, 'the first four stay');
  held.pop()!.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const again = await connect(agg.url());
  held.push(again);
  t.notOk(await closedWithin(again, 300), 'a slot freed is usable again');
  while (held.length) held.pop()!.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const re = /outrider_aggregator_connections_refused_total\{reason="per_address"\} 1\n/;
  t.match(await metricsMatching(agg.url(), re), re);
});

t.test('a client that never finishes its headers, or goes idle, is closed promptly', async (t) => {
  const agg = await startAggregator(tmpDir(t), { headersTimeoutMs: 500, idleTimeoutMs: 1500 });
  t.teardown(() => agg.stop());
  const slow = await connect(agg.url());
  slow.write('POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\n');
  const t0 = Date.now();
  t.ok(await closedWithin(slow, 4000), 'a slowloris connection is closed');
  t.ok(Date.now() - t0 < 3000, `within the header timeout and a check (${Date.now() - t0} ms)`);
  const silent = await connect(agg.url());
  t.ok(await closedWithin(silent, 4000), 'a silent connection is closed');
});
