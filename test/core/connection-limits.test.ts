/**
 * Slow clients on the local endpoint: header timeouts enforced within a second, a per-address cap, counted
 * refusals, and a scraper still served while slow sockets from other addresses hold every general slot. Raw
 * sockets from other loopback addresses (127.0.0.x) stand for remote clients.
 */
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { silentLogger } from '../../agent/core/log';
import { ConnectionLimits, checkSource, sourceMatcher } from '../../agent/core/connection-limits';
import { startAgent, RunningAgent } from '../helpers/agent';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Slow {
  socket: net.Socket;
  closed: boolean;
  closedAtMs: number;
}

/** A client that connects from `from` and sends part of a request's headers, then nothing. */
function slowClient(port: number, from: string): Promise<Slow> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
    const s: Slow = { socket, closed: false, closedAtMs: 0 };
    socket.on('error', () => undefined);
    // Read what the server sends (a 408), so its close is seen.
    socket.resume();
    socket.on('close', () => {
      s.closed = true;
      s.closedAtMs = Date.now();
    });
    socket.on('connect', () => {
      socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
      resolve(s);
    });
    socket.on('close', () => resolve(s));
  });
}

/** GET `path` from local address `from`; the status, or the error's code. */
function getFrom(url: string, path: string, from: string, timeoutMs = 5000): Promise<number | string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = http.get({ host: u.hostname, port: u.port, path, localAddress: from, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function metricValue(a: RunningAgent, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(a.url + '/metrics')).text();
  const m = text.split('\n').find((l) => line.test(l));
  return m === undefined ? undefined : Number(m.slice(m.lastIndexOf(' ') + 1));
}

const port = (a: RunningAgent) => Number(new URL(a.url).port);

t.test('a client that never finishes its headers is closed at the header timeout, not up to 30 s later', async (t) => {
  const a = await startAgent({ 'http.header_timeout': 1000 });
  t.teardown(() => a.stop());
  const start = Date.now();
  const s = await slowClient(port(a), '127.0.0.2');
  for (let i = 0; i < 60 && !s.closed; i++) await sleep(100);
  t.ok(s.closed, 'closed within 6 s');
  t.ok(s.closed && s.closedAtMs - start < 2500, `closed after ${s.closedAtMs - start} ms (header timeout 1000 ms)`);
});

t.test('one address holds at most http.max_connections_per_address; the rest are refused and counted', async (t) => {
  const a = await startAgent({ 'http.max_connections_per_address': 8, 'collectors.interval': 200 });
  const slow: Slow[] = [];
  t.teardown(async () => {
    for (const s of slow) s.socket.destroy();
    await a.stop();
  });
  for (let i = 0; i < 12; i++) slow.push(await slowClient(port(a), '127.0.0.3'));
  await sleep(300);
  t.equal(slow.filter((s) => !s.closed).length, 8, 'eight held');
  // The self telemetry reaches /metrics at the next collection.
  let refused: number | undefined;
  for (let i = 0; i < 30 && refused !== 4; i++) {
    await sleep(100);
    refused = await metricValue(a, /^outrider_http_connections_refused_total\{listener="http",reason="per_address"\}/);
  }
  t.equal(refused, 4, 'four refusals counted');
});

t.test('a scraper is served while 256 slow sockets from other addresses hold the endpoint', async (t) => {
  const a = await startAgent({ 'http.max_connections': 256, 'http.max_connections_per_address': 32, 'collectors.interval': 200 });
  const slow: Slow[] = [];
  let stopped = false;
  t.teardown(async () => {
    stopped = true;
    for (const s of slow) s.socket.destroy();
    await a.stop();
  });
  // Eight attacking addresses, 32 sockets each; each reconnects as soon as it is closed (bounded by the test's life).
  const attack = async (from: string): Promise<void> => {
    for (let i = 0; i < 32; i++) slow.push(await slowClient(port(a), from));
  };
  await Promise.all([2, 3, 4, 5, 6, 7, 8, 9].map((n) => attack(`127.0.0.${n + 10}`)));
  const reconnect = async (): Promise<void> => {
    while (!stopped) {
      const i = slow.findIndex((s) => s.closed);
      if (i >= 0) slow[i] = await slowClient(port(a), slow[i]!.socket.localAddress ?? '127.0.0.12');
      else await sleep(20);
    }
  };
  const reconnecting = reconnect();
  await sleep(300);
  t.ok(slow.filter((s) => !s.closed).length >= 200, `slow sockets hold the endpoint (${slow.filter((s) => !s.closed).length} open)`);
  t.equal(await getFrom(a.url, '/metrics', '127.0.0.1'), 200, 'a scraper from loopback (a reserved source) is served');
  t.equal(await getFrom(a.url, '/metrics', '127.0.0.99'), 200, 'a scraper from another address is served (an idle slow socket makes room)');
  t.equal(await getFrom(a.url, '/healthz', '127.0.0.98'), 200, 'and again');
  let evicted: number | undefined;
  for (let i = 0; i < 30 && !(evicted! > 0); i++) {
    await sleep(100);
    evicted = await metricValue(a, /^outrider_http_connections_evicted_total\{listener="http"\}/);
  }
  t.ok(evicted! > 0, `evictions counted (${evicted})`);
  stopped = true;
  await reconnecting;
});

t.test('ConnectionLimits: reserved slots, no eviction of a reserved source or of a busy connection', async (t) => {
  const log = silentLogger();
  const refusals: string[] = [];
  let evictions = 0;
  const limits = new ConnectionLimits({
    name: 't',
    maxConnections: 3,
    maxPerAddress: 3,
    reserved: 1,
    reservedSources: ['10.0.0.0/8'],
    log,
    onRefuse: (r) => refusals.push(r),
    onEvict: () => evictions++,
  });
  const sock = (addr: string) => {
    const s = new net.Socket();
    Object.defineProperty(s, 'remoteAddress', { value: addr });
    s.destroy = () => {
      s.emit('close');
      return s;
    };
    return s;
  };
  const a1 = sock('192.0.2.1');
  const a2 = sock('192.0.2.2');
  t.ok(limits.admit(a1));
  t.ok(limits.admit(a2));
  limits.requestStarted(a1);
  limits.requestStarted(a2);
  t.notOk(limits.admit(sock('192.0.2.3')), 'general slots full of busy connections: refused');
  t.same(refusals, ['max_connections']);
  const r = sock('10.1.2.3');
  t.ok(limits.admit(r), 'a reserved source takes the reserved slot');
  limits.requestEnded(a2);
  const a4 = sock('192.0.2.4');
  t.ok(limits.admit(a4), 'room made by closing the idle connection');
  limits.requestStarted(a4);
  t.equal(evictions, 1);
  t.equal(limits.open, 3);
  t.notOk(limits.admit(sock('192.0.2.5')), 'the reserved connection (idle) is never evicted; the others are busy');
});

t.test('sources: addresses and CIDR ranges, IPv4 and IPv6', async (t) => {
  const m = sourceMatcher(['127.0.0.1', '::1', '10.0.0.0/8', 'fd00::/8']);
  t.ok(m('127.0.0.1'));
  t.notOk(m('127.0.0.2'));
  t.ok(m('::1'));
  t.ok(m('10.200.0.1'));
  t.ok(m('fd12::5'));
  t.notOk(m('192.0.2.1'));
  t.notOk(m(''));
  t.equal(checkSource('10.0.0.0/8'), undefined);
  t.match(checkSource('10.0.0.0/33'), /prefix length/);
  t.match(checkSource('example.com'), /IP address/);
});
