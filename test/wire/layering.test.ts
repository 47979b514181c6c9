/** The wire module sits below both of its users, and the aggregator's files form no import cycle. */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';

const root = path.resolve(__dirname, '..', '..', '..');

/** Relative imports of a source file, as paths from the repository root without extension. */
function importsOf(file: string): string[] {
  const src = fs.readFileSync(path.join(root, file + '.ts'), 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) out.push(path.posix.join(path.posix.dirname(file), m[1]!));
  return out;
}

const filesIn = (dir: string) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((n) => n.endsWith('.ts'))
    .map((n) => `${dir}/${n.slice(0, -3)}`);

t.test('agent/wire imports only itself, the native face and the store types', async (t) => {
  const files = filesIn('agent/wire');
  t.ok(files.length >= 5);
  for (const f of files) for (const dep of importsOf(f)) t.match(dep, /^agent\/(wire|native|store)\//, `${f} -> ${dep}`);
});

t.test('no import cycle among the aggregator and wire files', async (t) => {
  const files = [...filesIn('agent/aggregator'), ...filesIn('agent/wire')];
  const inScope = new Set(files);
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') return void cycles.push([...trail.slice(trail.indexOf(f)), f].join(' > '));
    state.set(f, 'open');
    for (const d of importsOf(f)) if (inScope.has(d)) visit(d, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  t.same(cycles, []);
});
