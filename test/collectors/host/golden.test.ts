/**
 * The golden exposition of the fixture host: every host collector over test/fixtures/host, rendered as text. A
 * rename, a unit change or a lost series shows up as a diff here. Regenerate only on purpose:
 * `OUTRIDER_UPDATE_GOLDEN=1 npm test` or `node scripts/update-golden.js`.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostCollectors } from '../../../agent/collectors/host/index';
import { collectFixture, fixtureHost, fixtureOptions } from './fixture';

const goldenPath = join(fixtureHost, 'golden.prom');

t.test('fixture host renders exactly the golden exposition', async (t) => {
  // Labels that carry a sysfs path (rapl's `path`) name the fixture tree wherever the checkout is: compare them
  // relative to it.
  const text = (await collectFixture()).split(fixtureHost).join('<fixture>');
  if (process.env.OUTRIDER_UPDATE_GOLDEN === '1') {
    writeFileSync(goldenPath, text);
    t.comment(`rewrote ${goldenPath}`);
  }
  const golden = readFileSync(goldenPath, 'utf8');
  if (text !== golden) {
    const a = golden.split('\n');
    const b = text.split('\n');
    const diff: string[] = [];
    const setA = new Set(a);
    const setB = new Set(b);
    for (const l of a) if (!setB.has(l)) diff.push(`- ${l}`);
    for (const l of b) if (!setA.has(l)) diff.push(`+ ${l}`);
    t.fail(`output differs from ${goldenPath} (OUTRIDER_UPDATE_GOLDEN=1 npm test rewrites it):\n${diff.slice(0, 60).join('\n')}`);
  } else {
    t.pass('matches');
  }
});

t.test('every collector succeeds on the fixture host', async (t) => {
  const text = await collectFixture();
  const lines = text.split('\n').filter((l) => l.startsWith('node_scrape_collector_success{'));
  const want = hostCollectors(fixtureOptions()).map((c) => `node_scrape_collector_success{collector="${c.name}"} 1`);
  t.equal(want.length, 50, 'every host collector');
  t.same(lines.sort(), want.sort(), 'one success line per collector, each 1');
});
