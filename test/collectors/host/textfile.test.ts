/** textfile: *.prom files parsed strictly, merged across files as node_exporter does; a bad file fails alone. */
import t, { Test } from 'tap';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../agent/core/log';
import { CollectorRunner } from '../../../agent/collectors/runner';
import { maxFileBytes, textfileCollector } from '../../../agent/collectors/host/textfile';
import { render } from '../../../agent/exposition/render';
import { Store } from '../../../agent/store/store';
import { collectContext, fixtureConfig, fixtureHost } from './fixture';

const src = join(fixtureHost, 'textfile');

/** A copy of one fixture directory with every file's mtime at 2023-11-14T22:13:20Z (git keeps no mtimes). */
function copy(t: Test, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-textfile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(src, name), dir, { recursive: true });
  for (const f of readdirSync(dir)) utimesSync(join(dir, f), 1_700_000_000, 1_700_000_000);
  return dir;
}

async function scrape(dir: string): Promise<string> {
  const store = new Store({ now: () => 1_700_000_000_000 });
  const config = fixtureConfig({ 'collectors.textfile.directory': [dir] });
  const runner = new CollectorRunner({ store, config, paths: collectContext().paths, log: silentLogger(), collectors: [textfileCollector()] });
  await runner.collectOnce();
  const dur = store.getFamily('node_scrape_collector_duration_seconds');
  if (dur) for (const s of [...dur.series.values()]) store.remove(s);
  return render(store, 'text').split(dir).join('DIR');
}

for (const name of ['ok', 'mixed']) {
  t.test(`${name}: matches ${name}.golden.prom`, async (t) => {
    const dir = copy(t, name);
    if (name === 'mixed') mkdirSync(join(dir, 'f-dir.prom'));
    const text = await scrape(dir);
    const goldenPath = join(src, `${name}.golden.prom`);
    if (process.env.OUTRIDER_UPDATE_GOLDEN === '1') writeFileSync(goldenPath, text);
    t.equal(text, readFileSync(goldenPath, 'utf8'));
  });
}

t.test('a malformed file is an error for that file only; the collector still succeeds', async (t) => {
  const dir = copy(t, 'mixed');
  const text = await scrape(dir);
  t.match(text, /node_textfile_scrape_error 1/);
  t.match(text, /node_scrape_collector_success\{collector="textfile"\} 1/);
  t.match(text, /backup_last_success_timestamp_seconds\{job="home"\} 1699900000/, 'the good files are kept');
  t.match(text, /other_metric\{a="1"\} 5/);
  t.notMatch(text, /bad_metric|stamped_metric/);
  t.notMatch(text, /jobs_total\{kind="x"\}/, 'a file that declares another type for a family is refused');
  t.match(text, /node_textfile_mtime_seconds\{file="DIR\/a-good.prom"\} 1700000000/);
  t.notMatch(text, /node_textfile_mtime_seconds\{file="DIR\/b-malformed.prom"\}/, 'mtime only for files read');
});

t.test('families merged across files: first HELP, union of label names, default help names the files', async (t) => {
  const dir = copy(t, 'ok');
  const text = await scrape(dir);
  t.match(text, /# HELP jobs_total Jobs run\./);
  t.match(text, /jobs_total\{kind=""\} 1/, 'missing label filled in empty');
  t.match(text, /jobs_total\{kind="backup"\} 12/);
  t.match(text, /jobs_total\{kind="cron"\} 340/);
  t.match(text, /# HELP untyped_thing Metric read from DIR\/cron.prom/);
  t.match(text, /job_duration_seconds_bucket\{le="10"\} 7/);
  t.match(text, /node_textfile_scrape_error 0/);
  t.notMatch(text, /README/);
});

t.test('a repeated series keeps its first value and is noted', async (t) => {
  const dir = copy(t, 'ok');
  writeFileSync(join(dir, 'z.prom'), 'jobs_total{kind="cron"} 1\n');
  const ctx = collectContext({}, { 'collectors.textfile.directory': [dir] });
  const fams = await textfileCollector().collect(ctx);
  const jobs = fams.find((f) => f.name === 'jobs_total')!;
  t.same(
    jobs.samples.filter((s) => s.labels.kind === 'cron').map((s) => s.value),
    [340],
  );
  t.match(ctx.issues.join('\n'), /repeats a series/);
});

t.test('a file over the size limit is refused', async (t) => {
  const dir = copy(t, 'ok');
  writeFileSync(join(dir, 'huge.prom'), Buffer.alloc(maxFileBytes + 1, 0x20));
  const ctx = collectContext({}, { 'collectors.textfile.directory': [dir] });
  const fams = await textfileCollector().collect(ctx);
  t.same(fams.find((f) => f.name === 'node_textfile_scrape_error')!.samples[0]!.value, 1);
  t.match(ctx.issues.join('\n'), /over the \d+-byte limit/);
  t.ok(
    fams.find((f) => f.name === 'jobs_total'),
    'the other files are kept',
  );
});

t.test('no directory configured: only node_textfile_scrape_error 0; a missing directory is an error', async (t) => {
  const fams = await textfileCollector().collect(collectContext());
  t.same(
    fams.map((f) => [f.name, f.samples[0]!.value]),
    [['node_textfile_scrape_error', 0]],
  );
  const ctx = collectContext({}, { 'collectors.textfile.directory': [join(src, 'nope')] });
  const fams2 = await textfileCollector().collect(ctx);
  t.same(
    fams2.map((f) => [f.name, f.samples[0]!.value]),
    [['node_textfile_scrape_error', 1]],
  );
});

t.test('a family whose HELP contradicts an earlier file is refused from that file (node_exporter 1.8+)', async (t) => {
  const dir = copy(t, 'ok');
  writeFileSync(join(dir, 'z.prom'), '# HELP jobs_total Something else.\njobs_total{kind="z"} 9\nz_other 1\n');
  const ctx = collectContext({}, { 'collectors.textfile.directory': [dir] });
  const fams = await textfileCollector().collect(ctx);
  const jobs = fams.find((f) => f.name === 'jobs_total')!;
  t.equal(jobs.help, 'Jobs run.');
  t.notOk(
    jobs.samples.some((s) => s.labels.kind === 'z'),
    'its samples left out',
  );
  t.ok(
    fams.find((f) => f.name === 'z_other'),
    "the file's other families kept",
  );
  t.match(
    fams.find((f) => f.name === 'node_textfile_mtime_seconds')!.samples.map((s) => s.labels.file),
    [/backup.prom$/, /cron.prom$/, /z.prom$/],
  );
  t.equal(fams.find((f) => f.name === 'node_textfile_scrape_error')!.samples[0]!.value, 1);
  t.match(ctx.issues.join('\n'), /jobs_total has HELP "Something else\.", an earlier file gave it "Jobs run\."/);
});
