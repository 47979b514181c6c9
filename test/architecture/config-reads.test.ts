/**
 * Config is a leaf (docs/ARCHITECTURE.md, "Configuration"): a component reads its keys in one place, its
 * `options.ts` (`optionsFrom(config)` → typed options, parsed once), and its runtime code takes those options. This
 * scans agent/ for reads of a configuration key by name (`config.number('statsd.flush_interval')`, whatever the
 * receiver is called) outside the places allowed to read them: options.ts and keys.ts files, the config module
 * itself, the composition root and the commands.
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { agentKeys } from '../../agent/keys';

const agentDir = resolve(__dirname, '../../../agent');

/** Where reading a key by name is the job: the parse-once modules, the key tables, the config module, the entry points. */
function allowed(file: string): boolean {
  const base = file.split('/').at(-1);
  return base === 'options.ts' || base === 'keys.ts' || file.startsWith('config/') || file.startsWith('cli/') || file === 'agent.ts' || file === 'main.ts';
}

/** Components that still read keys in their runtime code; remove an entry once its options.ts lands. */
const pending: readonly string[] = [];

const keyNames = new Set(agentKeys.all().map((k) => k.key));

/** `receiver.getter('key')` calls naming a configuration key, as `line: text`. */
export function configReads(source: string, keys: ReadonlySet<string>): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const re = /\.(get|string|number|bool|list|source)\s*(?:<[^()]*?>)?\s*\(\s*(['"`])([^'"`]+)\2\s*\)/g;
  for (const m of code.matchAll(re)) {
    if (!keys.has(m[3]!)) continue;
    const line = code.slice(0, m.index).split('\n').length;
    out.push(`${line}: ${m[0]}`);
  }
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

const files = walk(agentDir).map((f) => relative(agentDir, f));
const reads = new Map<string, string[]>();
for (const f of files) {
  if (allowed(f)) continue;
  const found = configReads(readFileSync(join(agentDir, f), 'utf8'), keyNames);
  if (found.length > 0) reads.set(f, found);
}

t.test('the scanner finds a key read by any receiver and ignores other calls', async (t) => {
  const keys = new Set(['statsd.flush_interval', 'listen', 'labels.from_env']);
  const src = [
    "const a = ctx.config.number('statsd.flush_interval');",
    "const b = this.#cfg.get<Record<string, string>>('labels.from_env');",
    "const c = opts.settings.string( 'listen' );",
    "const d = url.searchParams.get('match');",
    "const e = headers.get('listen-address');",
    "// config.number('statsd.flush_interval') in a comment",
  ].join('\n');
  t.same(configReads(src, keys), ["1: .number('statsd.flush_interval')", "2: .get<Record<string, string>>('labels.from_env')", "3: .string( 'listen' )"]);
  t.ok(keyNames.has('statsd.flush_interval') && keyNames.has('aggregator.listen'), 'the key names come from the key tables');
});

t.test('runtime code reads no configuration key by name', async (t) => {
  const problems = [...reads]
    .filter(([f]) => !pending.some((p) => f.startsWith(p)))
    .flatMap(([f, found]) => found.map((r) => `${f}:${r} (parse it in the component's options.ts and pass the options)`));
  t.same(problems, [], problems.join('\n'));
});

t.test('pending components still read keys (remove an entry once converted)', async (t) => {
  for (const p of pending)
    t.ok(
      [...reads.keys()].some((f) => f.startsWith(p)),
      `${p} still reads keys by name`,
    );
});
