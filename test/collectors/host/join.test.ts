import t from 'tap';
import { join as pathJoin } from 'node:path';
import { join } from '../../../agent/collectors/host/join';

t.test('the kept join answers what path.join answers, the same string each time', async (t) => {
  const cases: Array<[string, string, string?, string?]> = [
    ['/proc', 'meminfo'],
    ['/sys', 'class/net', 'eth0', 'statistics/rx_nohandler'],
    ['/sys/', '/devices/system/cpu/', 'cpu0', '../cpu1'],
    ['', 'x'],
    ['a', '', 'c'],
    ['', '', 'c'],
    ['/proc', '.'],
    ['fixtures/proc', '..', 'sys'],
  ];
  for (const [a, b, c, d] of cases) {
    const want = c === undefined ? pathJoin(a, b) : d === undefined ? pathJoin(a, b, c) : pathJoin(a, b, c, d);
    t.equal(join(a, b, c, d), want, `${[a, b, c, d].filter((x) => x !== undefined).join(' + ')}`);
    t.equal(join(a, b, c, d), want, 'again, from the table');
  }
});

t.test('past its bound the table starts over and answers the same', async (t) => {
  let wrong = 0;
  for (let i = 0; i < 10_000; i++) if (join('/sys/block', `dev${i}`) !== `/sys/block/dev${i}`) wrong++;
  t.equal(wrong, 0, '10,000 paths, more than the table holds');
  t.equal(join('/sys/block', 'dev3'), '/sys/block/dev3');
  t.equal(join('/proc', 'stat'), '/proc/stat');
});
