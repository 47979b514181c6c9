import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { AgentState, SeriesState, StateStore, WINDOW } from '../../agent/aggregator/state';
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
