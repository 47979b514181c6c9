import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { OutriderError } from '../../agent/core/errors';
import { Telemetry } from '../../agent/core/telemetry';
import { LocalHistory } from '../../agent/history/history';
import { decodeSnapshot, encodeSnapshot, stateFileName } from '../../agent/history/persist';
import { HistorySampler } from '../../agent/history/sampler';
import { isStaleNaN } from '../../agent/history/types';
import { type Series, Store } from '../../agent/store/store';

const gauge = { name: 'temp', help: 'h', type: 'gauge' as const };
const all = [{ name: '__name__', type: '=~' as const, value: '.+' }];
const hist = (o: Partial<ConstructorParameters<typeof LocalHistory>[0]> = {}) =>
  new LocalHistory({ stepMs: 1000, retentionMs: 600_000, maxSeries: 1000, maxBytes: 64 << 20, samplesPerChunk: 20, ...o });
const health = { report: () => undefined } as never;

/** Every series' samples as text (markers told apart from NaN), for comparing two histories. */
function dump(h: LocalHistory, from = 0, to = 1e15): string[] {
  return h.select(all, from, to).map((s) => `${JSON.stringify(s.labels)} ${[...s.values].map((v, i) => `${s.timestampsMs[i]}=${isStaleNaN(v) ? 'stale' : v}`).join(' ')}`);
}

/** A history of 50 rounds: three rooms, one leaving at round 30 (a marker), values with NaN, ±Inf, -0. */
function filled(): { store: Store; h: LocalHistory } {
  const store = new Store();
  const h = hist();
  let leaving: Series | undefined;
  for (let r = 0; r < 50; r++) {
    store.set(gauge, { room: 'a' }, r % 7 === 0 ? Number.NaN : r * 1.5, 1000 * r);
    store.set(gauge, { room: 'b' }, r % 2 ? Number.POSITIVE_INFINITY : -0, 1000 * r);
    if (r < 30) leaving = store.set(gauge, { room: 'c' }, r, 1000 * r);
    else if (leaving) {
      store.remove(leaving);
      leaving = undefined;
    }
    h.sample(store, 1_000_000 + 1000 * r);
  }
  return { store, h };
}

t.test('a snapshot written and read back restores the same samples, markers and NaN payloads included', async (t) => {
  const { h } = filled();
  const data = encodeSnapshot(h.snapshot(), 123);
  const { savedAtMs, snapshot } = decodeSnapshot(data);
  t.equal(savedAtMs, 123);
  const back = hist();
  t.equal(back.restore(snapshot, 1_000_000 + 50_000), 3);
  t.same(dump(back), dump(h));
  t.ok(
    dump(back).some((l) => l.includes('stale')),
    'the marker of the series that left survives',
  );
  // Sampling goes on after the restored rounds; a restored series continues in a new chunk.
  const store = new Store();
  store.set(gauge, { room: 'a' }, 99);
  back.sample(store, 1_000_000 + 60_000);
  const a = back.select(
    [
      { name: '__name__', type: '=', value: 'temp' },
      { name: 'room', type: '=', value: 'a' },
    ],
    0,
    1e15,
  )[0]!;
  t.equal(a.values.length, 51);
  t.equal(a.values[50], 99);
  t.equal(a.timestampsMs[49], 1_000_000 + 49_000);
  t.equal(back.restore(snapshot, 0), false, 'only into an empty history');
});

t.test('restoring leaves out rounds past the retention and series past the bounds', async (t) => {
  const { h } = filled();
  const snap = decodeSnapshot(encodeSnapshot(h.snapshot(), 0)).snapshot;
  const late = hist({ retentionMs: 20_000 });
  late.restore(snap, 1_000_000 + 49_000);
  t.ok((late.oldestMs() ?? 0) >= 1_000_000 + 29_000, `oldest ${late.oldestMs()}`);
  t.ok(late.select(all, 0, 1e15).length > 0);
  const small = hist({ maxSeries: 2 });
  t.equal(small.restore(snap, 1_000_000 + 49_000), 2);
  t.equal(small.seriesCount, 2);
});

t.test('a damaged file is an OUTRIDER_ERR_HISTORY_STATE error, never another exception', async (t) => {
  const good = encodeSnapshot(filled().h.snapshot(), 0);
  const code = (f: () => unknown) => {
    try {
      f();
      return 'ok';
    } catch (err) {
      return err instanceof OutriderError ? err.code : `other: ${(err as Error).message}`;
    }
  };
  t.equal(
    code(() => decodeSnapshot(good.subarray(0, good.length - 3))),
    'OUTRIDER_ERR_HISTORY_STATE',
    'truncated',
  );
  t.equal(
    code(() => decodeSnapshot(Buffer.from('OUTRHST2' + 'x'.repeat(40)))),
    'OUTRIDER_ERR_HISTORY_STATE',
    'another version',
  );
  const flipped = Buffer.from(good);
  flipped[flipped.length >> 1] ^= 0x10;
  t.equal(
    code(() => decodeSnapshot(flipped)),
    'OUTRIDER_ERR_HISTORY_STATE',
    'a flipped bit fails the checksum',
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (junk, withMagic) => {
      const b = withMagic ? Buffer.concat([good.subarray(0, 12), Buffer.from(junk)]) : Buffer.from(junk);
      const c = code(() => decodeSnapshot(b));
      return c === 'OUTRIDER_ERR_HISTORY_STATE' || c === 'ok';
    }),
  );
  t.pass('random bytes only ever give the coded error');
});

t.test('the sampler loads the file at start, saves on stop, and counts and ignores a corrupt file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-history-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { store, h } = filled();
  const tel1 = new Telemetry({ runtimeMetrics: false });
  const s1 = new HistorySampler({ history: h, store, health, telemetry: tel1, persist: { dir, intervalMs: 3_600_000 }, now: () => 1_000_000 + 50_000 });
  await s1.start();
  await s1.stop();
  t.equal((await tel1.registry.getSingleMetric('outrider_history_state_saves_total')!.get()).values[0]!.value, 1, 'saved on stop');
  t.ok(readFileSync(join(dir, stateFileName)).length > 100);

  const h2 = hist();
  const tel2 = new Telemetry({ runtimeMetrics: false });
  const s2 = new HistorySampler({ history: h2, store: new Store(), health, telemetry: tel2, persist: { dir, intervalMs: 3_600_000 }, now: () => 1_000_000 + 55_000 });
  await s2.start();
  t.same(dump(h2, 0, 1_000_000 + 49_000), dump(h, 0, 1_000_000 + 49_000), 'the restarted history holds what the first one held');
  t.equal((await tel2.registry.getSingleMetric('outrider_history_restored_series')!.get()).values[0]!.value, 3);
  await s2.stop();

  const file = join(dir, stateFileName);
  const damaged = readFileSync(file);
  damaged[40] ^= 0xff;
  writeFileSync(file, damaged);
  const h3 = hist();
  const tel3 = new Telemetry({ runtimeMetrics: false });
  const s3 = new HistorySampler({ history: h3, store: new Store(), health, telemetry: tel3, persist: { dir, intervalMs: 3_600_000 } });
  await s3.start();
  t.equal(h3.seriesCount, 0, 'a corrupt file leaves the history empty');
  t.same(
    (await tel3.registry.getSingleMetric('outrider_history_state_errors_total')!.get()).values.map((v) => [v.labels['op'], v.value]),
    [['load', 1]],
  );
  await s3.stop();
});

t.test('a save that cannot write is counted, not thrown', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-history-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'file'), 'x');
  const tel = new Telemetry({ runtimeMetrics: false });
  const s = new HistorySampler({ history: filled().h, store: new Store(), health, telemetry: tel, persist: { dir: join(dir, 'file', 'below'), intervalMs: 3_600_000 } });
  await s.save();
  t.same(
    (await tel.registry.getSingleMetric('outrider_history_state_errors_total')!.get()).values.map((v) => [v.labels['op'], v.value]),
    [['save', 1]],
  );
});

t.test('history.state_dir wires the sampler to its file (historyComponents, as the composition root builds it)', async (t) => {
  const { historyComponents } = await import('../../agent/history/index');
  const { defaultConfig } = await import('../../agent/keys');
  const dir = mkdtempSync(join(tmpdir(), 'outrider-history-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { store, h } = filled();
  const deps = { store, health, telemetry: new Telemetry({ runtimeMetrics: false }) };
  const [off] = historyComponents(h, { ...deps, config: defaultConfig() });
  await off!.start();
  await off!.stop();
  t.throws(() => readFileSync(join(dir, stateFileName)), 'no state dir, no file');
  const [on] = historyComponents(h, { ...deps, config: defaultConfig().with({ 'history.state_dir': dir }) });
  await on!.start();
  await on!.stop();
  t.same(decodeSnapshot(readFileSync(join(dir, stateFileName))).snapshot.series.length, 3, 'saved on stop');
});
