/**
 * Agent and aggregator as real processes on loopback: the aggregator stopped under load, the agent killed with
 * SIGKILL and restarted, the aggregator killed and restarted, the spool filled past its cap. Counter totals at the
 * aggregator must equal what was pushed, exactly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { eventually, freePort, Proc, samples, start } from './procs';

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-e2e-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const procs: Proc[] = [];
t.teardown(async () => {
  for (const p of procs) await p.kill9();
});

async function aggregator(port: number, stateDir: string): Promise<Proc> {
  const p = start(['aggregator', '--listen', `127.0.0.1:${port}`, '--state-dir', stateDir, '--aggregator.commit-interval', '2ms']);
  procs.push(p);
  await p.waitFor(/aggregator is ready/);
  return p;
}

async function agent(aggUrl: string, spoolDir: string, extra: string[] = []): Promise<{ proc: Proc; push: string; url: string }> {
  const p = start([
    'agent',
    '--listen',
    '127.0.0.1:0',
    '--report-to',
    aggUrl,
    '--spool-dir',
    spoolDir,
    '--agent-id',
    'e2e-agent',
    '--report.interval',
    '50ms',
    '--spool.sync-interval',
    '20ms',
    '--report.retry-initial-backoff',
    '20ms',
    '--report.retry-max-backoff',
    '300ms',
    '--push.listen',
    '127.0.0.1:0',
    '--collectors.interval',
    '1s',
    '--report.sendfile-min-size',
    '0',
    ...extra,
  ]);
  procs.push(p);
  const pushLine = await p.waitFor(/Push listener is ready/);
  const ready = await p.waitFor(/agent is ready/);
  return { proc: p, push: String(pushLine.url), url: String(ready.url) };
}

/** Pushes increments to counters e2e_ops_total{k=0..4}; returns once the agent says they are on disk. */
class Pusher {
  readonly expected = new Map<string, number>();
  n = 0;
  async push(url: string, extra = ''): Promise<void> {
    let body = '# TYPE e2e_ops_total counter\n';
    const inc: Array<[string, number]> = [];
    for (let k = 0; k < 5; k++) {
      const v = 1 + ((this.n * 7 + k) % 3);
      body += `e2e_ops_total{k="${k}"} ${v}\n`;
      inc.push([`e2e_ops_total{k="${k}"}`, v]);
    }
    this.n++;
    const res = await fetch(url + '?wait=durable', { method: 'POST', body: body + extra });
    if (res.status !== 200) throw new Error(`push answered ${res.status}: ${await res.text()}`);
    for (const [key, v] of inc) this.expected.set(key, (this.expected.get(key) ?? 0) + v);
  }
}

async function totals(aggUrl: string, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  try {
    return samples(await (await fetch(aggUrl + '/metrics', { headers })).text(), 'e2e_ops_total');
  } catch {
    return new Map();
  }
}

const same = (a: Map<string, number>, b: Map<string, number>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

t.test('exactly-once totals through aggregator outages, agent kill -9 and aggregator kill -9', async (t) => {
  const port = await freePort();
  const aggUrl = `http://127.0.0.1:${port}`;
  const state = tmp();
  const spool = tmp();
  const pusher = new Pusher();
  let agg = await aggregator(port, state);
  let ag = await agent(aggUrl, spool);

  for (let i = 0; i < 15; i++) await pusher.push(ag.push);
  t.ok(await eventually(async () => same(await totals(aggUrl), pusher.expected)), 'steady state delivered');

  // The aggregator goes away while the agent keeps taking load: batches pile up in the spool.
  await agg.stop();
  for (let i = 0; i < 10; i++) await pusher.push(ag.push);
  const backlog = await eventually(async () => /outrider_report_backlog_batches [1-9]/.test(await (await fetch(ag.url + '/metrics')).text()), 5000);
  t.ok(backlog, 'batches wait in the spool');

  // The agent dies hard while batches are unacknowledged; it restarts on the same spool and replays.
  await ag.proc.kill9();
  agg = await aggregator(port, state);
  // It comes back writing with the addon's direct-I/O writer (the old buffered segments are replayed as they are).
  ag = await agent(aggUrl, spool, ['--spool.io', 'direct']);
  for (let i = 0; i < 5; i++) await pusher.push(ag.push);
  const replayUrl = ag.url;
  t.ok(
    await eventually(async () => /outrider_report_sendfile_batches_total [1-9]/.test(await (await fetch(replayUrl + '/metrics')).text()), 5000),
    'the replayed batches went from the segment to the socket (sendfile)',
  );

  // kill -9 of the agent mid-flush with the aggregator up (sends in flight); it comes back in write-through mode.
  await ag.proc.kill9();
  ag = await agent(aggUrl, spool, ['--spool.write-through']);
  for (let i = 0; i < 5; i++) await pusher.push(ag.push);

  // The aggregator dies hard; what it acknowledged is on its disk, what it did not is replayed by the agent.
  await agg.kill9();
  for (let i = 0; i < 5; i++) await pusher.push(ag.push);
  agg = await aggregator(port, state);
  for (let i = 0; i < 5; i++) await pusher.push(ag.push);

  const final = await eventually(async () => {
    const got = await totals(aggUrl);
    return same(got, pusher.expected) ? got : undefined;
  }, 30_000);
  if (!final) for (const p of procs) for (const l of p.lines) if (Number(l.level) >= 40) t.comment(JSON.stringify(l));
  t.same(final ? Object.fromEntries(final) : Object.fromEntries(await totals(aggUrl)), Object.fromEntries(pusher.expected), 'aggregator totals equal what was pushed, exactly');
  const agents = (await (await fetch(aggUrl + '/api/v1/agents')).json()) as { agents: Array<{ agent_id: string }> };
  t.same(
    agents.agents.map((a) => a.agent_id),
    ['e2e-agent'],
  );
  await ag.proc.stop();
  await agg.stop();
});

t.test('a full spool drops the oldest batches, counts them, and counters stay exact', async (t) => {
  const port = await freePort();
  const aggUrl = `http://127.0.0.1:${port}`;
  const state = tmp();
  const spool = tmp();
  const pusher = new Pusher();
  // No aggregator yet: everything goes to a small spool.
  const ag = await agent(aggUrl, spool, ['--spool.max-size', '64KiB', '--spool.segment-size', '16KiB', '--report.compression', 'none', '--collectors.disabled', 'loadavg']);
  for (let i = 0; i < 40; i++) {
    // Unique gauges make every batch big enough to overflow the spool quickly.
    let extra = '';
    for (let j = 0; j < 20; j++) extra += `e2e_fill{i="${i}",j="${j}",pad="${'x'.repeat(40)}"} ${i}\n`;
    await pusher.push(ag.push, extra);
  }
  // The agent's telemetry reaches its /metrics on the collection interval.
  const droppedBy = async (reason?: string) => {
    let n = 0;
    for (const m of (await (await fetch(ag.url + '/metrics')).text()).matchAll(/^outrider_report_dropped_batches_total\{reason="(\w+)"\} (\d+)$/gm)) if (!reason || m[1] === reason) n += Number(m[2]);
    return n;
  };
  const droppedNow = () => droppedBy();
  const dropped = await eventually(() => droppedBy('spool_dropped_oldest'), 5000);
  t.ok(dropped > 0, `the spool dropped ${dropped} batches and counted them`);
  // The agent keeps dropping its oldest segments while this reads: one listed and removed before its stat is gone.
  t.ok(
    fs
      .readdirSync(spool)
      .filter((n) => n.endsWith('.orsp'))
      .reduce((s, n) => s + (fs.statSync(path.join(spool, n), { throwIfNoEntry: false })?.size ?? 0), 0) <=
      64 * 1024,
    'the spool stayed within its cap',
  );
  const agg = await aggregator(port, state);
  await pusher.push(ag.push);
  const final = await eventually(async () => {
    const got = await totals(aggUrl);
    return same(got, pusher.expected) ? got : undefined;
  }, 30_000);
  t.ok(final, 'counter totals are exact: the surviving cumulative values carry what the dropped batches had');
  // Once the backlog is drained, the next batch reports the agent's whole drop count.
  await pusher.push(ag.push);
  const seen = await eventually(async () => {
    const agents = (await (await fetch(aggUrl + '/api/v1/agents')).json()) as { agents: Array<{ dropped_batches: number; spool_backlog_batches: number }> };
    const a = agents.agents[0];
    return a !== undefined && a.dropped_batches === (await droppedNow()) && a.dropped_batches >= dropped;
  }, 10_000);
  t.ok(seen, 'the aggregator sees the same drop count the agent reports (every reason)');
  await ag.proc.stop();
  await agg.stop();
});

t.test('a restarted agent whose pushed counter passes its old value before the first flush is counted in full', async (t) => {
  const port = await freePort();
  const aggUrl = `http://127.0.0.1:${port}`;
  const spool = tmp();
  const agg = await aggregator(port, tmp());
  let ag = await agent(aggUrl, spool);
  const push = (url: string, v: number) => fetch(url + '?wait=durable', { method: 'POST', body: `# TYPE e2e_ops_total counter\ne2e_ops_total{k="r"} ${v}\n` });
  t.equal((await push(ag.push, 5)).status, 200);
  t.ok(await eventually(async () => (await totals(aggUrl)).get('e2e_ops_total{k="r"}') === 5), 'first process delivered 5');
  await ag.proc.kill9();
  // The new process starts its counter from zero; 100 arrive before its first flush (100 > 5).
  ag = await agent(aggUrl, spool);
  t.equal((await push(ag.push, 100)).status, 200);
  const got = await eventually(async () => {
    const v = (await totals(aggUrl)).get('e2e_ops_total{k="r"}');
    return v !== undefined && v !== 5 ? v : undefined;
  });
  t.equal(got, 105, '5 from the first process and 100 from the second');
  await ag.proc.stop();
  await agg.stop();
});

t.test('an unwritable spool directory: the agent runs, says so in /readyz, and still delivers', async (t) => {
  const port = await freePort();
  const aggUrl = `http://127.0.0.1:${port}`;
  const base = tmp();
  fs.writeFileSync(path.join(base, 'file'), 'x');
  const agg = await aggregator(port, tmp());
  const ag = await agent(aggUrl, path.join(base, 'file', 'spool'));
  const ready = await fetch(ag.url + '/readyz');
  t.equal(ready.status, 503);
  const body = (await ready.json()) as { components: Array<{ name: string; ready: boolean; detail: string }> };
  t.match(
    body.components.find((c) => c.name === 'report'),
    { ready: false, detail: /spool unusable/ },
  );
  await fetch(ag.push, { method: 'POST', body: '# TYPE e2e_ops_total counter\ne2e_ops_total{k="x"} 3\n' });
  t.ok(await eventually(async () => (await totals(aggUrl)).get('e2e_ops_total{k="x"}') === 3), 'delivered from memory');
  await ag.proc.stop();
  await agg.stop();
});

t.test('tokens: the aggregator refuses a public address without them; agents with the right token deliver, a wrong one is quarantined', async (t) => {
  const dir = tmp();
  const refused = start(['aggregator', '--listen', '0.0.0.0:0', '--state-dir', path.join(dir, 'x')]);
  t.equal(await refused.exited, 1);
  fs.writeFileSync(path.join(dir, 'tokens'), '# fleet tokens\ns3cret-a\ns3cret-b\n');
  fs.writeFileSync(path.join(dir, 'good'), 's3cret-b\n');
  fs.writeFileSync(path.join(dir, 'bad'), 'nope\n');
  const port = await freePort();
  const aggUrl = `http://127.0.0.1:${port}`;
  const agg = start(['aggregator', '--listen', `127.0.0.1:${port}`, '--state-dir', path.join(dir, 'state'), '--tokens-file', path.join(dir, 'tokens')]);
  procs.push(agg);
  await agg.waitFor(/aggregator is ready/);
  const good = await agent(aggUrl, path.join(dir, 'spool-good'), ['--report-token-file', path.join(dir, 'good')]);
  const bad = await agent(aggUrl, path.join(dir, 'spool-bad'), ['--report-token-file', path.join(dir, 'bad'), '--agent-id', 'intruder']);
  await fetch(good.push, { method: 'POST', body: '# TYPE e2e_ops_total counter\ne2e_ops_total{k="t"} 4\n' });
  t.ok(await eventually(async () => (await totals(aggUrl, { authorization: 'Bearer s3cret-a' })).get('e2e_ops_total{k="t"}') === 4), 'the agent with a token delivers');
  t.equal((await fetch(aggUrl + '/metrics')).status, 401, 'reads need a token too');
  t.ok(
    await eventually(async () => fs.existsSync(path.join(dir, 'spool-bad', 'quarantine')) && fs.readdirSync(path.join(dir, 'spool-bad', 'quarantine')).length > 0, 10_000),
    'the refused batches are quarantined, not retried forever',
  );
  t.equal((await fetch(aggUrl + '/api/v1/agents')).status, 401, 'the fleet API needs the token too');
  const agents = (await (await fetch(aggUrl + '/api/v1/agents', { headers: { authorization: 'Bearer s3cret-a' } })).json()) as { agents: Array<{ agent_id: string }> };
  t.same(
    agents.agents.map((a) => a.agent_id),
    ['e2e-agent'],
  );
  await good.proc.stop();
  await bad.proc.stop();
  await agg.stop();
});
