/**
 * The import rules of agent/ (docs/ARCHITECTURE.md, "Rules"): arrows point down from the entry, the CLI and the
 * composition root to the components, from the components to what they share and to the foundation, and no
 * cycle remains. Parses every file under agent/; a new import that breaks a rule fails here, naming the file.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { check, cycles, Edge, pending, unitOf } from './layers';

const agentDir = resolve(__dirname, '../../../agent');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative specifiers a file imports (static, type-only, re-exports, dynamic import(), require()). */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const patterns = [/\bfrom\s+['"](\.[^'"]*)['"]/g, /\bimport\s*\(\s*['"](\.[^'"]*)['"]\s*\)/g, /\brequire\s*\(\s*['"](\.[^'"]*)['"]\s*\)/g, /^\s*import\s+['"](\.[^'"]*)['"]/gm];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

function resolveSpec(fromFile: string, spec: string): string | undefined {
  const base = resolve(dirname(fromFile), spec);
  for (const cand of [base + '.ts', join(base, 'index.ts'), base]) if (existsSync(cand) && statSync(cand).isFile()) return cand;
  return undefined;
}

const files = walk(agentDir).map((f) => relative(agentDir, f));
const edges: Edge[] = [];
const unresolved: string[] = [];
for (const f of files) {
  for (const spec of importsOf(readFileSync(join(agentDir, f), 'utf8'))) {
    const target = resolveSpec(join(agentDir, f), spec);
    if (target === undefined) unresolved.push(`${f}: ${spec}`);
    else if (target.startsWith(agentDir + '/') && target.endsWith('.ts')) edges.push({ from: f, to: relative(agentDir, target) });
  }
}

t.test('the parser sees every kind of import', async (t) => {
  const src = `import a from './a';\nimport type { B } from '../b';\nexport { c } from './c';\nimport './d';\nconst e = () => import('./e');\nconst f = require('./f');\n// import g from './g';\n/* import h from './h'; */\nimport x from 'node:fs';\nimport {\n  i,\n} from './i';\n`;
  t.same(importsOf(src).sort(), ['../b', './a', './c', './d', './e', './f', './i']);
  t.ok(edges.length > 200, `found ${edges.length} arrows`);
  t.same(unresolved, [], 'every relative import resolves to a file');
});

t.test('every import under agent/ follows the rules', async (t) => {
  const problems = check(edges, files);
  t.same(problems, [], problems.join('\n'));
});

t.test('pending arrows still exist (remove an entry once its arrow is gone)', async (t) => {
  for (const p of pending)
    t.ok(
      edges.some((e) => e.from.startsWith(p.from) && e.to.startsWith(p.to)),
      `${p.from} → ${p.to} (${p.until})`,
    );
});

t.test('the checker refuses upward and sideways arrows and cycles', async (t) => {
  t.match(check([{ from: 'core/context.ts', to: 'collectors/collector.ts' }], []), [/up from foundation to shared by components/]);
  t.match(check([{ from: 'collectors/statsd/index.ts', to: 'report/index.ts' }], []), [/sideways between two components/]);
  t.match(check([{ from: 'collectors/runner.ts', to: 'agent.ts' }], []), [/up from shared by components to composition root/]);
  t.same(
    check(
      [
        { from: 'agent.ts', to: 'collectors/runner.ts' },
        { from: 'cli/agent.ts', to: 'agent.ts' },
        { from: 'core/paths.ts', to: 'config/config.ts' },
      ],
      [],
    ),
    [],
  );
  t.same(
    cycles([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'a' },
    ]),
    [['a', 'b', 'c', 'a']],
  );
  t.match(
    check(
      [
        { from: 'core/a.ts', to: 'store/b.ts' },
        { from: 'store/b.ts', to: 'core/a.ts' },
      ],
      [],
    ),
    [/import cycle: core\/a.ts → store\/b.ts → core\/a.ts/],
  );
  t.match(check([], ['newdir/x.ts']), [/belongs to no unit/]);
  t.equal(unitOf('collectors/host/cpu.ts'), 'collectors/host/');
  t.equal(unitOf('collectors/runner.ts'), 'collectors/');
});
