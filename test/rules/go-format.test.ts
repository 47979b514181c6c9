import t from 'tap';
import { goE, goG, goV, humanize, humanize1024, humanizeDuration, humanizePercentage, sprintf } from '../../agent/rules/go-format';

// Expected strings are what Go 1.21's fmt and Prometheus's template functions print for the same input.
t.test('%v and %g print floats as Go does', async (t) => {
  t.equal(goV(1), '1');
  t.equal(goV(0.5), '0.5');
  t.equal(goV(1e21), '1e+21');
  t.equal(goV(123456789), '123456789');
  t.equal(goV(0.00001), '1e-05');
  t.equal(goV(0.0001), '0.0001');
  t.equal(goV(NaN), 'NaN');
  t.equal(goV(-Infinity), '-Inf');
  t.equal(goG(1234567), '1.234567e+06');
  t.equal(goG(100000), '100000');
  t.equal(goG(1000000), '1e+06');
  t.equal(goG(1.5, 4), '1.5');
  t.equal(goG(1000, 4), '1000');
  t.equal(goG(12345, 4), '1.234e+04');
  t.equal(goG(0.000012345, 4), '1.234e-05');
  t.equal(goE(1), '1e+00');
  t.equal(goE(0), '0e+00');
  t.equal(goE(1234.5), '1.2345e+03');
});

t.test('printf verbs', async (t) => {
  t.equal(sprintf('%.2f', [3.14159]), '3.14');
  t.equal(sprintf('%.2f%%', [12.345]), '12.35%');
  t.equal(sprintf('%s on %s', ['a', 'b']), 'a on b');
  t.equal(sprintf('%d', [42]), '42');
  t.equal(sprintf('%5.1f|%-4s|', [2.25, 'x']), '  2.2|x   |');
  t.equal(sprintf('%s', []), '%!s(MISSING)');
  t.equal(sprintf('%v', [0.25]), '0.25');
});

t.test('humanize functions', async (t) => {
  t.equal(humanize(0), '0');
  t.equal(humanize(1234), '1.234k');
  t.equal(humanize(1234567), '1.235M');
  t.equal(humanize(0.0012), '1.2m');
  t.equal(humanize(12), '12');
  t.equal(humanize1024(1024), '1ki');
  t.equal(humanize1024(1048576 * 3), '3Mi');
  t.equal(humanize1024(0.5), '0.5');
  t.equal(humanizePercentage(0.1234), '12.34%');
  t.equal(humanizePercentage(1), '100%');
  t.equal(humanizeDuration(0), '0s');
  t.equal(humanizeDuration(1.5), '1.5s');
  t.equal(humanizeDuration(90), '1m 30s');
  t.equal(humanizeDuration(3600 * 26 + 61), '1d 2h 1m 1s');
  t.equal(humanizeDuration(0.25), '250ms');
  t.equal(humanizeDuration(-90), '-1m 30s');
});

t.test('ties round half to even on the exact binary value, as Go does', async (t) => {
  t.equal(sprintf('%.1f', [2.25]), '2.2');
  t.equal(sprintf('%.1f', [2.35]), '2.4'); // 2.35 is 2.35000000000000008882 in binary
  t.equal(sprintf('%.0f', [0.5]), '0');
  t.equal(sprintf('%.0f', [1.5]), '2');
  t.equal(sprintf('%.2f', [12.125]), '12.12');
  t.equal(sprintf('%.2f', [0.004]), '0.00');
  t.equal(sprintf('%.2f', [0.006]), '0.01');
  t.equal(sprintf('%.2f', [-1.5]), '-1.50');
  t.equal(sprintf('%.2f', [123456.789]), '123456.79');
  t.equal(sprintf('%e', [1234.5]), '1.234500e+03');
  t.equal(goG(12345, 4), '1.234e+04');
  t.equal(goG(12355, 4), '1.236e+04');
  t.equal(humanize(1234500), '1.234M');
});
