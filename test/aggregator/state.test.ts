import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Packr } from 'msgpackr';
import { StateStore } from '../../agent/aggregator/state';
import { AgentState, SeriesState, stateKey, WINDOW } from '../../agent/aggregator/state-model';
import { SNAPSHOT_MAGIC } from '../../agent/aggregator/state-snapshot';
import { tmpDir } from './helpers';

const agent = (id: string): AgentState => ({ id, epoch: 1, high: 0, recent: [], lastSeenMs: 0, lastSentMs: 0, version: '', backlogBytes: 0, backlogBatches: 0, droppedBatches: 0, appliedBatches: 0 });
const series = (id: number, acc: number): SeriesState => ({ id, agent: 'a', family: 'x_total', type: 'counter', help: '', labels: ['k', String(id)], epoch: 1, seq: 1, last: acc, acc });

t.test('the log replays after a crash (no snapshot), full entries then updates; a torn tail is ignored', async (t) => {
  const dir = tmpDir(t);
  const s = new StateStore(dir, 1);
  s.open();
  const a = agent('a');
  const st = series(s.nextId(), 5);
  s.add('a\u0000x', st);
  s.record(a, 1, 1, [['a\u0000x', st]], []);
  await s.commit();
  st.acc = 9;
  st.last = 9;
  st.seq = 2;
  s.record(a, 2, 1, [], [st]);
  await s.commit();
  // Simulated crash: nothing closed, plus half an entry at the end of the log.
  const log = fs.readdirSync(dir).find((n) => n.startsWith('log-'))!;
  fs.appendFileSync(path.join(dir, log), Buffer.from([50, 0, 0, 0, 1, 2, 3, 4, 5]));
  const s2 = new StateStore(dir, 1);
  s2.open();
  t.equal(s2.tornEntries, 1);
  t.match(s2.series.get('a\u0000x'), { acc: 9, seq: 2 });
  t.ok(s2.isApplied('a', 1, 1));
  t.ok(s2.isApplied('a', 1, 2));
  t.notOk(s2.isApplied('a', 1, 3));
  t.ok(s2.isApplied('a', 0, 99), 'an older epoch counts as applied');
  await s2.close();
});

t.test('the applied window stays bounded and log entries do not carry it; a replay rebuilds it', async (t) => {
  const dir = tmpDir(t);
  const s = new StateStore(dir, 1);
  s.open();
  const a = agent('w');
  const n = 3 * WINDOW;
  for (let seq = 1; seq <= n; seq++) if (seq !== n - 5) s.record(a, seq, 1, [], []);
  await s.commit();
  t.ok(s.recentSets.get('w')!.size <= 2 * WINDOW + 1, 'bounded');
  const log = fs.readdirSync(dir).find((f) => f.startsWith('log-'))!;
  t.ok(fs.statSync(path.join(dir, log)).size < n * 400, 'entries stay small');
  const s2 = new StateStore(dir, 1);
  s2.open();
  t.ok(s2.isApplied('w', 1, n));
  t.ok(s2.isApplied('w', 1, 10), 'far below the window counts as applied');
  t.notOk(s2.isApplied('w', 1, n - 5), 'a gap inside the window is not applied');
  t.notOk(s2.isApplied('w', 1, n + 1));
  await s.close();
  await s2.close();
});

t.test('snapshot round trip: scalar series in columns, distributions as they are; binary log entries replay', async (t) => {
  const dir = tmpDir(t);
  const s = new StateStore(dir, 1);
  s.open();
  const a = agent('agent-é');
  a.version = '1.2.3';
  const scalars: SeriesState[] = [];
  for (let i = 0; i < 50; i++) {
    const st: SeriesState = {
      id: s.nextId(),
      agent: i % 2 ? 'agent-é' : 'b',
      family: i % 3 ? 'x_total' : 'g',
      type: i % 3 ? 'counter' : 'gauge',
      help: i % 3 ? 'X.' : 'G.',
      labels: i % 5 ? ['k', String(i), 'z', 'v\u0000w'] : i === 0 ? [] : ['k', String(i)],
      epoch: 7,
      seq: 3,
      last: i + 0.5,
      acc: 2 * i,
    };
    s.add(stateKey(st.agent, st.family, st.labels), st);
    scalars.push(st);
  }
  const dist: SeriesState = {
    id: s.nextId(),
    agent: 'b',
    family: 'lat',
    type: 'summary',
    help: '',
    labels: ['q', '1'],
    epoch: 7,
    seq: 3,
    last: { count: 3, sum: 1.5, buckets: null },
    acc: { count: 3, sum: 1.5, buckets: null },
    quantiles: [0.5, 0.2],
    sketch: null,
    sketchMs: 5,
  };
  s.add(stateKey('b', 'lat', dist.labels), dist);
  s.record(
    a,
    1,
    7,
    [...scalars, dist].map((st) => [stateKey(st.agent, st.family, st.labels), st]),
    [],
  );
  await s.commit();
  await new Promise((r) => setImmediate(r));
  await s.snapshot();
  t.same(fs.readFileSync(path.join(dir, 'snapshot')).subarray(0, 8), SNAPSHOT_MAGIC, 'format 3 written');
  for (let i = 0; i < 200 && fs.readdirSync(dir).some((n) => n.startsWith('log-')); i++) await new Promise((r) => setTimeout(r, 5));
  t.notOk(
    fs.readdirSync(dir).some((n) => n.startsWith('log-')),
    'the log was folded into the snapshot (and removed)',
  );
  // After the snapshot: steady-state batches (binary entries), one of them updating series of the snapshot.
  scalars[1]!.last = 100;
  scalars[1]!.acc = 200;
  scalars[1]!.seq = 4;
  a.backlogBatches = 3;
  s.record(a, 4, 7, [], [scalars[1]!]);
  s.record(a, 5, 7, [], []);
  await s.commit();
  const log = fs.readdirSync(dir).find((n) => n.startsWith('log-'))!;
  t.equal(fs.readFileSync(path.join(dir, log))[8], 0xc1, 'a steady-state entry is binary');

  const s2 = new StateStore(dir, 1);
  s2.open();
  t.equal(s2.series.size, 51);
  for (const st of scalars) {
    const got = s2.series.get(stateKey(st.agent, st.family, st.labels));
    t.same(got, st, `series ${st.id} restored under its derived key`);
  }
  t.same(s2.series.get(stateKey('b', 'lat', ['q', '1'])), dist);
  t.match(s2.agents.get('agent-é'), { version: '1.2.3', epoch: 7, high: 5, backlogBatches: 3, appliedBatches: 3 });
  for (const seq of [1, 4, 5]) t.ok(s2.isApplied('agent-é', 7, seq), `seq ${seq} applied`);
  t.notOk(s2.isApplied('agent-é', 7, 3));
  t.equal(s2.nextId(), 52, 'ids continue past the restored ones');
  await s.close();
  await s2.close();
  // The snapshot written by close() loads again, same content.
  const s3 = new StateStore(dir, 1);
  s3.open();
  t.same(s3.series.get(stateKey(scalars[1]!.agent, scalars[1]!.family, scalars[1]!.labels)), scalars[1]);
  await s3.close();
});

t.test('a format-1 snapshot (series as [key, state] pairs) still loads', async (t) => {
  const dir = tmpDir(t);
  const st = series(4, 11);
  fs.writeFileSync(
    path.join(dir, 'snapshot'),
    new Packr({ useRecords: false, mapsAsObjects: true }).pack({ gen: 3, agents: [{ ...agent('a'), recent: [1, 2] }], series: [['a\u0000x_total\u0000k\u00004\u0000', st]] }),
  );
  const s = new StateStore(dir, 1);
  s.open();
  t.same(s.series.get('a\u0000x_total\u0000k\u00004\u0000'), st);
  t.ok(s.isApplied('a', 1, 2));
  await s.close();
});

t.test('forgotten agents stay forgotten when the log is replayed after a crash; the others are kept', async (t) => {
  const dir = tmpDir(t);
  const s = new StateStore(dir, 1);
  s.open();
  const own = (agentId: string, id: number): [string, SeriesState] => {
    const st: SeriesState = { ...series(id, id), agent: agentId };
    return [stateKey(st.agent, st.family, st.labels), st];
  };
  const [ka, sa] = own('pod-a', s.nextId());
  const [kb, sb] = own('pod-b', s.nextId());
  s.add(ka, sa);
  s.record(agent('pod-a'), 1, 1, [[ka, sa]], []);
  s.add(kb, sb);
  s.record(agent('pod-b'), 1, 1, [[kb, sb]], []);
  await s.commit();
  s.forget(['pod-a'], [sa]);
  t.notOk(s.agents.has('pod-a'));
  t.notOk(s.series.has(ka), 'its series left at once');
  await s.commit();
  // Simulated crash: no snapshot, the log replayed.
  const s2 = new StateStore(dir, 1);
  s2.open();
  t.same([...s2.agents.keys()], ['pod-b']);
  t.same([...s2.series.keys()], [kb]);
  t.notOk(s2.isApplied('pod-a', 1, 1), 'its applied sequences went with it');
  t.ok(s2.isApplied('pod-b', 1, 1));
  await s2.close();
  const s3 = new StateStore(dir, 1);
  s3.open();
  t.same([...s3.series.keys()], [kb], 'and after the snapshot the close wrote');
  await s3.close();
});
