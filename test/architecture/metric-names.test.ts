/**
 * OpenMetrics names a counter's family without its `_total` suffix, so a counter `x_total` and any other family named
 * `x` render as one family twice, which strict OpenMetrics parsers refuse ("metadata after samples"). This scans the
 * agent's own metric names (the `'outrider_…'` literals in agent/) for such pairs.
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const agentDir = resolve(__dirname, '../../../agent');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Pairs `x_total` / `x` among the names, as `x`. */
export function openMetricsCollisions(names: Iterable<string>): string[] {
  const all = new Set(names);
  return [...all].filter((n) => n.endsWith('_total') && all.has(n.slice(0, -'_total'.length))).map((n) => n.slice(0, -'_total'.length));
}

t.test('the scan finds a counter and a gauge that share an OpenMetrics family name', async (t) => {
  t.same(openMetricsCollisions(['outrider_a_total', 'outrider_a', 'outrider_b_total', 'outrider_c']), ['outrider_a']);
});

t.test("no two of the agent's own families share an OpenMetrics family name", async (t) => {
  const names = new Set<string>();
  for (const file of walk(agentDir)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`](outrider_[a-z0-9_]+)['"`]/g)) names.add(m[1]!);
  }
  t.ok(names.size > 50, `the scan sees the agent's names (${names.size})`);
  t.same(openMetricsCollisions(names), []);
});
