import t from 'tap';
import { formatDuration, formatSize, parseDurationMs, parseSizeBytes } from '../../agent/config/units';

t.test('durations read the way Prometheus users write them', async (t) => {
  t.equal(parseDurationMs('500ms'), 500);
  t.equal(parseDurationMs('10s'), 10_000);
  t.equal(parseDurationMs('1m30s'), 90_000);
  t.equal(parseDurationMs('2h'), 7_200_000);
  t.equal(parseDurationMs('1d'), 86_400_000);
  t.equal(parseDurationMs('15'), 15_000, 'a bare number is seconds');
  t.equal(parseDurationMs('10 s'), undefined);
  t.equal(parseDurationMs('ten'), undefined);
  t.equal(parseDurationMs(''), undefined);
  t.equal(parseDurationMs('-1s'), undefined);
  t.equal(formatDuration(90_000), '1m30s');
  t.equal(formatDuration(500), '500ms');
  for (const ms of [0, 1, 999, 1000, 61_001, 86_400_000 + 5]) t.equal(parseDurationMs(formatDuration(ms)), ms, `round trip ${ms}`);
});

t.test('sizes take IEC and SI units', async (t) => {
  t.equal(parseSizeBytes('8KiB'), 8192);
  t.equal(parseSizeBytes('64MiB'), 64 * 1024 * 1024);
  t.equal(parseSizeBytes('1GiB'), 1024 ** 3);
  t.equal(parseSizeBytes('10MB'), 10_000_000);
  t.equal(parseSizeBytes('512'), 512);
  t.equal(parseSizeBytes('1.5KiB'), 1536);
  t.equal(parseSizeBytes('12 parsecs'), undefined);
  t.equal(formatSize(64 * 1024 * 1024), '64MiB');
  t.equal(formatSize(1000), '1000B');
});
