/**
 * The engine against Prometheus itself: every table in test/query/promtool/ runs through `promtool test rules` (so its
 * expected values are Prometheus's) and through the engine on the same input series, which must give the same
 * samples with the same values.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PromqlEngine } from '../../agent/query/engine';
import { labelsKey } from '../../agent/query/value';
import { haveCommand, requireTool } from '../helpers/tools';
import { loadTestFile } from './promtool-format';

const dir = resolve(__dirname, '../../../test/query/promtool');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

t.ok(files.length >= 7, 'the tables are found');

t.test('promtool test rules accepts every table', requireTool(haveCommand('promtool', ['--version']), 'promtool (Debian prometheus)'), async (t) => {
  for (const f of files) {
    const r = spawnSync('promtool', ['test', 'rules', join(dir, f)], { encoding: 'utf8', timeout: 60_000 });
    t.equal(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
  }
});

function sameValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

for (const f of files) {
  t.test(`the engine gives promtool's values: ${f}`, async (t) => {
    let cases = 0;
    for (const group of loadTestFile(join(dir, f))) {
      const engine = new PromqlEngine(group.history);
      for (const c of group.cases) {
        cases++;
        const r = engine.compile(c.expr).instant(c.evalMs);
        const got = r.type === 'vector' ? r.samples : r.type === 'scalar' ? [{ labels: {}, value: r.value }] : [];
        const want = new Map(c.expected.map((e) => [labelsKey(e.labels), e.value]));
        const gotMap = new Map(got.map((s) => [labelsKey(s.labels), s.value]));
        const label = `${group.name}: ${c.expr} at ${c.evalMs / 1000}s`;
        t.same([...gotMap.keys()].sort(), [...want.keys()].sort(), `${label}: the same series`);
        t.equal(got.length, c.expected.length, `${label}: no duplicate series`);
        for (const [k, v] of want) {
          if (gotMap.has(k)) t.ok(sameValue(gotMap.get(k)!, v), `${label}: ${k.replace(/[\xfe\xff]/g, ' ')} = ${v} (got ${gotMap.get(k)})`);
        }
      }
    }
    t.ok(cases > 0, 'the table has cases');
  });
}
