/**
 * The header and request timeouts are checked only while a connection is open: an idle server sets no timer (Node's
 * own check ran every `connectionsCheckingInterval` from listen to close), and a slow client is still closed at the
 * header timeout, the first one and the next.
 */
import net from 'node:net';
import t from 'tap';
import { HttpServer } from '../../agent/core/http-server';
import { silentLogger } from '../../agent/core/log';
import { countTimerRuns } from '../helpers/timer-runs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A check period no other timer in this test uses, so its runs can be counted. */
const CHECK_MS = 137;

/** Connects and sends part of a request's headers; resolves with the time the server closed it. */
function slowClient(port: number): { closed: Promise<number> } {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  socket.resume();
  socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n'));
  return { closed: new Promise((resolve) => socket.on('close', () => resolve(Date.now()))) };
}

async function started(): Promise<{ server: HttpServer; port: number }> {
  const server = new HttpServer({ name: 'test', listen: '127.0.0.1:0', log: silentLogger(), headersTimeoutMs: 500, timeoutCheckMs: CHECK_MS });
  server.route('GET', '/', (_req, res) => void res.end('ok'));
  await server.start();
  return { server, port: server.address().port };
}

t.test('an idle server runs no timeout check; one starts with a connection and ends with the last', async (t) => {
  const counter = countTimerRuns(CHECK_MS);
  t.teardown(() => counter.stop());
  const { server, port } = await started();
  t.teardown(() => server.stop(0));
  await sleep(CHECK_MS * 6);
  t.equal(counter.runs(), 0, 'no check ran while no connection was open');
  t.equal(server.checkingTimeouts, false, 'no check armed while idle');

  const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
  t.equal(await res.text(), 'ok', 'a request is served');
  for (let i = 0; i < 50 && server.checkingTimeouts; i++) await sleep(20);
  t.equal(server.checkingTimeouts, false, 'the check ends when the last connection closes');
  const before = counter.runs();
  await sleep(CHECK_MS * 4);
  t.equal(counter.runs(), before, 'and does not run afterwards');
});

t.test('slow clients are still closed at the header timeout, the first and the next', async (t) => {
  const { server, port } = await started();
  t.teardown(() => server.stop(0));
  for (const which of ['first', 'next']) {
    const start = Date.now();
    const c = slowClient(port);
    await sleep(50);
    t.equal(server.checkingTimeouts, true, `${which}: the check runs while the slow client is connected`);
    const closedAt = await Promise.race([c.closed, sleep(5000).then(() => Infinity)]);
    t.ok(closedAt - start < 500 + CHECK_MS * 4 + 500, `${which}: closed ${closedAt - start} ms after connecting (header timeout 500 ms)`);
    for (let i = 0; i < 50 && server.checkingTimeouts; i++) await sleep(20);
    t.equal(server.checkingTimeouts, false, `${which}: no check once it closed`);
  }
});
