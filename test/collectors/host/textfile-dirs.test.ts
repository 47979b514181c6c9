/**
 * textfile over several directories (node_exporter 1.9's repeatable --collector.textfile.directory, each a path or a
 * glob): order, the same file name in two directories, globs that match nothing, repeats.
 */
import t, { Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { glob, textfileDirectories } from '../../../agent/collectors/host/textfile-dirs';
import { elementPattern } from '../../../agent/core/glob-pattern';
import { textfileCollector } from '../../../agent/collectors/host/textfile';
import { parseArgs } from '../../../agent/cli/args';
import { configFromArgs } from '../../../agent/cli/config-args';
import { collectContext } from './fixture';
import type { FamilySamples } from '../../../agent/store/types';

/** root/{a,b,c-skip}/ with files given as { 'a/x.prom': text }; every mtime 2023-11-14T22:13:20Z. */
function tree(t: Test, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'outrider-textfile-dirs-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
    utimesSync(join(root, rel), 1_700_000_000, 1_700_000_000);
  }
  return root;
}

async function collect(directories: string[]): Promise<{ fams: Map<string, FamilySamples>; issues: string[] }> {
  const ctx = collectContext({}, { 'collectors.textfile.directory': directories });
  const fams = await textfileCollector().collect(ctx);
  return { fams: new Map(fams.map((f) => [f.name, f])), issues: ctx.issues };
}

const values = (f: FamilySamples | undefined) => f?.samples.map((s) => [s.labels, s.value]);

t.test("Go's glob: * and ? within one element, classes, escapes; malformed patterns refused", async (t) => {
  t.ok(elementPattern('*.d')!.test('node.d'));
  t.notOk(elementPattern('*.d')!.test('a/b.d'));
  t.ok(elementPattern('app?')!.test('app1'));
  t.ok(elementPattern('[a-c]x')!.test('bx'));
  t.notOk(elementPattern('[^a-c]x')!.test('bx'));
  t.ok(elementPattern('\\*')!.test('*'));
  t.notOk(elementPattern('\\*')!.test('x'));
  t.ok(elementPattern('a.b')!.test('a.b'));
  t.notOk(elementPattern('a.b')!.test('axb'), 'a dot is literal');
  t.equal(elementPattern('[ab'), undefined);
  t.equal(elementPattern('x\\'), undefined);
});

t.test('globs expand to sorted matches; a plain path is itself; nothing matched is []', async (t) => {
  const root = tree(t, { 'b/1.prom': '', 'a/1.prom': '', 'c/1.prom': '', 'a/sub/2.prom': '' });
  t.same(glob(join(root, '[ab]')), [join(root, 'a'), join(root, 'b')]);
  t.same(glob(join(root, '*', '1.prom')), [join(root, 'a/1.prom'), join(root, 'b/1.prom'), join(root, 'c/1.prom')]);
  t.same(glob(join(root, 'a')), [join(root, 'a')]);
  t.same(glob(join(root, 'z*')), []);
  t.equal(glob(join(root, '[z')), undefined);
  t.same(textfileDirectories([join(root, 'b'), join(root, '*'), '', join(root, 'b/')]), [join(root, 'b'), join(root, 'a'), join(root, 'c')], 'order kept, repeats once, empty skipped');
  t.same(textfileDirectories([join(root, 'z*')]), [join(root, 'z*')], 'no match: the entry as written (reading it fails)');
});

t.test('two directories: families merged in order; the same file name in both is two files', async (t) => {
  const root = tree(t, {
    'a/jobs.prom': '# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total{dir="a"} 1\n',
    'b/jobs.prom': '# TYPE jobs_total counter\njobs_total{dir="b"} 2\n',
    'b/other.prom': 'other 5\n',
  });
  const { fams, issues } = await collect([join(root, 'a'), join(root, 'b')]);
  t.same(issues, []);
  t.same(values(fams.get('jobs_total')), [
    [{ dir: 'a' }, 1],
    [{ dir: 'b' }, 2],
  ]);
  t.equal(fams.get('jobs_total')?.help, 'Jobs run.');
  t.same(values(fams.get('node_textfile_mtime_seconds')), [
    [{ file: join(root, 'a/jobs.prom') }, 1_700_000_000],
    [{ file: join(root, 'b/jobs.prom') }, 1_700_000_000],
    [{ file: join(root, 'b/other.prom') }, 1_700_000_000],
  ]);
  t.equal(fams.get('node_textfile_scrape_error')?.samples[0]?.value, 0);
});

t.test('the same series in two directories: the first directory given wins (the other noted)', async (t) => {
  const root = tree(t, { 'a/x.prom': 'thing{k="v"} 1\n', 'b/x.prom': 'thing{k="v"} 2\n' });
  const ab = await collect([join(root, 'a'), join(root, 'b')]);
  t.same(values(ab.fams.get('thing')), [[{ k: 'v' }, 1]]);
  t.match(ab.issues.join('\n'), /repeats a series read before; the first is kept/);
  const ba = await collect([join(root, 'b'), join(root, 'a')]);
  t.same(values(ba.fams.get('thing')), [[{ k: 'v' }, 2]]);
  t.equal(ab.fams.get('node_textfile_scrape_error')?.samples[0]?.value, 0, 'not a file error');
});

t.test('a glob of directories; one that matches nothing or a missing directory is a scrape error, the rest kept', async (t) => {
  const root = tree(t, { 'app1/a.prom': 'a 1\n', 'app2/b.prom': 'b 2\n', 'other/c.prom': 'c 3\n' });
  const g = await collect([join(root, 'app*')]);
  t.same([...g.fams.keys()].sort(), ['a', 'b', 'node_textfile_mtime_seconds', 'node_textfile_scrape_error']);
  t.equal(g.fams.get('node_textfile_scrape_error')?.samples[0]?.value, 0);
  const miss = await collect([join(root, 'app*'), join(root, 'nothing*'), join(root, 'gone')]);
  t.equal(miss.fams.get('node_textfile_scrape_error')?.samples[0]?.value, 1);
  t.ok(miss.fams.get('a') && miss.fams.get('b'), 'the matched directories still read');
  t.equal(miss.issues.length, 2);
});

t.test('repeated --collector.textfile.directory flags and a comma list in the environment both give a list', async (t) => {
  const flags = configFromArgs(parseArgs(['--collector.textfile.directory=/a', '--collector.textfile.directory', '/b/*']), {});
  t.same(flags.problems, []);
  t.same(flags.config.list('collectors.textfile.directory'), ['/a', '/b/*']);
  const env = configFromArgs(parseArgs([]), { OUTRIDER_COLLECTORS_TEXTFILE_DIRECTORY: '/a,/b' });
  t.same(env.config.list('collectors.textfile.directory'), ['/a', '/b']);
});

t.test('a config file may still give one directory as a plain string (the key was a single path before)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-tfcfg-'));
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, 'collectors:\n  textfile:\n    directory: /var/lib/node_exporter\n');
  const one = configFromArgs(parseArgs(['--config', file]), {});
  t.same(one.problems, []);
  t.same(one.config.list('collectors.textfile.directory'), ['/var/lib/node_exporter']);
  writeFileSync(file, 'collectors:\n  textfile:\n    directory: {a: 1}\n');
  t.match(configFromArgs(parseArgs(['--config', file]), {}).problems, [{ key: 'collectors.textfile.directory' }], 'a map is still refused');
});
