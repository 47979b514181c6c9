/** The stall watch: a request to an aggregator that stopped answering is abandoned when a health check fails too, not after the full timeout. */
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { StallWatch, STALLED } from '../../agent/report/stall-watch';
import { Transport } from '../../agent/report/transport';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

t.test('a failed health check abandons the requests waiting since before it; a healthy one leaves them', async (t) => {
  let healthy = false;
  let checks = 0;
  const w = new StallWatch(50, async () => {
    checks++;
    await sleep(20);
    return healthy;
  });
  // The watch's timer does not hold the process open (a real request does): this test has no request.
  const hold = setInterval(() => undefined, 1000);
  t.teardown(() => {
    w.close();
    clearInterval(hold);
  });
  const aborted = (s: AbortSignal) => new Promise<string>((r) => s.addEventListener('abort', () => r(String((s.reason as Error).message)), { once: true }));

  healthy = true;
  const slow = w.begin();
  await sleep(300);
  t.notOk(slow.signal.aborted, 'a slow request to a healthy aggregator is left alone');
  t.ok(checks >= 1 && checks <= 5, `checks are spaced, never back to back (${checks} in 300 ms with 50 ms + 20 ms each)`);
  slow.done();
  const after = checks;
  await sleep(150);
  t.equal(checks, after, 'no check while nothing waits');

  healthy = false;
  const a = w.begin();
  const b = w.begin();
  t.equal(await aborted(a.signal), STALLED);
  t.ok(b.signal.aborted, 'every request waiting since before the failed check');
  t.equal(w.abandoned, 2);
  a.done();
  b.done();
  const quick = w.begin();
  quick.done();
  await sleep(150);
  t.notOk(quick.signal.aborted, 'a request over before its check is never abandoned');
});

t.test('a stalled aggregator (connections accepted, nothing answered): a watched send ends as stalled long before its timeout', async (t) => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s)); // accepts, reads nothing, answers nothing: SIGSTOP's view from outside
  const url = await listen(server);
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const tr = new Transport({ endpoint: url, token: undefined, agentId: 'a1', timeoutMs: 60_000, connections: 2 });
  const w = new StallWatch(100, () => tr.probe());
  t.teardown(async () => {
    w.close();
    await tr.close();
  });
  const r = w.begin();
  const res = await tr.send(Buffer.from('x'), r.signal);
  r.done();
  t.same(res, { kind: 'retryable', reason: STALLED }, 'abandoned after the failed health check (the timeout is 60 s)');
});

t.test('a busy aggregator (health answered, ingest slow): a watched send waits for its answer', async (t) => {
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') return res.end('ok');
    req.resume();
    req.on('end', () => setTimeout(() => res.end('{"status":"applied"}'), 800));
  });
  const url = await listen(server);
  t.teardown(() => server.close());
  const tr = new Transport({ endpoint: url, token: undefined, agentId: 'a1', timeoutMs: 60_000, connections: 4 });
  const w = new StallWatch(100, () => tr.probe());
  t.teardown(async () => {
    w.close();
    await tr.close();
  });
  // Four slow requests fill the batch connections: the health checks go on their own and are answered.
  const sends = Array.from({ length: 4 }, async () => {
    const r = w.begin();
    try {
      return await tr.send(Buffer.from('x'), r.signal);
    } finally {
      r.done();
    }
  });
  for (const res of await Promise.all(sends)) t.same(res, { kind: 'success', duplicate: false });
  t.ok(w.checks >= 1, `the watch checked (${w.checks})`);
  t.equal(w.abandoned, 0);
});

t.test('leaving an endpoint as failing abandons everything still waiting there', async (t) => {
  const w = new StallWatch(60_000, async () => true);
  t.teardown(() => w.close());
  const a = w.begin();
  const b = w.begin();
  b.done();
  w.abandonAll();
  t.ok(a.signal.aborted);
  t.notOk(b.signal.aborted, 'a request already over is left alone');
  t.equal(w.abandoned, 1);
});
