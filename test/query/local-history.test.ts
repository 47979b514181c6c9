/**
 * The engine through the local history: sampled store series, staleness markers written by the history, lookback.
 * Skipped, saying so, while the tree has no agent/history/history.ts (the history's module is loaded by path so this
 * file compiles without it).
 */
import t from 'tap';
import type { HistoryReader } from '../../agent/history/types';
import { PromqlEngine } from '../../agent/query/engine';
import { Store } from '../../agent/store/store';

interface LocalHistoryLike extends HistoryReader {
  sample(store: Store, tMs: number): boolean;
}
type LocalHistoryClass = new (o: { stepMs: number; retentionMs: number; maxSeries: number; maxBytes: number }) => LocalHistoryLike;

const modulePath = '../../agent/history/history';
let LocalHistory: LocalHistoryClass | undefined;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  LocalHistory = (require(modulePath) as { LocalHistory: LocalHistoryClass }).LocalHistory;
} catch {
  LocalHistory = undefined;
}
const skip = LocalHistory ? {} : { skip: 'agent/history/history.ts is not in this tree' };

const counter = { name: 'req_total', help: 'requests', type: 'counter' as const };
const gauge = { name: 'temp', help: 'temperature', type: 'gauge' as const };

function sampled(): { history: LocalHistoryLike; store: Store } {
  const store = new Store();
  const history = new LocalHistory!({ stepMs: 15_000, retentionMs: 3_600_000, maxSeries: 1000, maxBytes: 16 * 1024 * 1024 });
  let gone: ReturnType<Store['set']>;
  for (let i = 0; i <= 40; i++) {
    const tMs = 1_700_000_000_000 + i * 15_000;
    store.set(counter, { job: 'a' }, i * 15, tMs);
    store.set(counter, { job: 'b' }, i < 20 ? i * 30 : (i - 20) * 30, tMs); // a counter reset at i = 20
    if (i < 10) gone = store.set(gauge, { room: 'x' }, 20 + i, tMs);
    if (i === 10 && gone) store.remove(gone); // the history writes a staleness marker at the next round
    history.sample(store, tMs);
  }
  return { history, store };
}

const t0 = 1_700_000_000_000;

t.test('rate, increase and resets through the history', skip, async (t) => {
  const { history } = sampled();
  const e = new PromqlEngine(history);
  const r = e.compile('rate(req_total[2m])').instant(t0 + 600_000);
  t.equal(r.type, 'vector');
  if (r.type !== 'vector') return;
  const byJob = Object.fromEntries(r.samples.map((s) => [s.labels['job'], s.value]));
  t.equal(byJob['a'], 1, 'job a: 15 per 15 s');
  t.equal(byJob['b'], 2, 'job b: 30 per 15 s, across its reset');
  const resets = e.compile('resets(req_total{job="b"}[10m])').instant(t0 + 600_000);
  t.same(resets.type === 'vector' ? resets.samples.map((s) => s.value) : [], [1]);
});

t.test('a series that left the store is gone at once (its staleness marker), not after the lookback', skip, async (t) => {
  const { history } = sampled();
  const e = new PromqlEngine(history);
  const before = e.compile('temp').instant(t0 + 9 * 15_000);
  t.same(before.type === 'vector' ? before.samples.map((s) => s.value) : [], [29]);
  const after = e.compile('temp').instant(t0 + 11 * 15_000);
  t.same(after.type === 'vector' ? after.samples : [], [], 'within 5 minutes of its last sample, yet absent');
  const absent = e.compile('absent(temp{room="x"})').instant(t0 + 11 * 15_000);
  t.same(absent.type === 'vector' ? absent.samples : [], [{ labels: { room: 'x' }, value: 1 }]);
  const count = e.compile('count_over_time(temp[10m])').instant(t0 + 12 * 15_000);
  t.same(count.type === 'vector' ? count.samples.map((s) => s.value) : [], [10], 'the marker is not a sample');
});
