/**
 * file_sd: targets from Prometheus's JSON and YAML target-group files, re-read on change; a bad file keeps its last
 * targets; a target no longer listed stops and its series leave the store; the bounds.
 */
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { Test } from 'tap';
import { FileSd, fileSdFromConfig, globRegExp, kMaxFileBytes, kMaxTargets, parseGroups } from '../../../agent/collectors/scrape/file-sd';
import { Scraper } from '../../../agent/collectors/scrape/scraper';
import { targetsResponse } from '../../../agent/collectors/scrape/api';
import { silentLogger } from '../../../agent/core/log';
import { Telemetry } from '../../../agent/core/telemetry';
import { Store } from '../../../agent/store/store';
import { defaults, serve, valueOf } from './helpers';

function dir(t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'outrider-filesd-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function counter(tel: Telemetry, name: string): Promise<number> {
  const m = await tel.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).reduce((a, v) => a + v.value, 0);
}

t.test('JSON and YAML files through a glob: targets, group labels, __meta_filepath, changes and removal', async (t) => {
  const apps = await Promise.all([1, 2, 3].map((i) => serve((_req, res) => res.end(`app_value ${i}\n`))));
  t.teardown(() => Promise.all(apps.map((a) => a.close())));
  const hostOf = (i: number) => apps[i]!.url.slice('http://'.length);
  const d = dir(t);
  writeFileSync(join(d, 'a.json'), JSON.stringify([{ targets: [hostOf(0), hostOf(1)], labels: { env: 'prod' } }]));
  writeFileSync(join(d, 'b.yml'), `- targets: ['${hostOf(2)}']\n  labels: { env: dev, job: other }\n`);
  writeFileSync(join(d, 'ignored.txt'), 'not a target file');
  const sd = fileSdFromConfig(
    {
      files: [join(d, '*.json'), join(d, '*.yml')],
      job: 'apps',
      interval: '1m',
      relabel_configs: [{ source_labels: ['__meta_filepath'], regex: '.*/([^/]+)', target_label: 'file' }],
    },
    0,
    defaults,
  );
  const store = new Store();
  const tel = new Telemetry();
  const s = new Scraper({ store, log: silentLogger(), telemetry: tel, targets: [], fileSd: [sd], targetLimit: 0 });
  await s.start();
  t.teardown(() => s.stop());
  t.equal(s.targets().length, 3);
  await s.scrapeAll();
  t.equal(valueOf(store, 'app_value', { job: 'apps', instance: hostOf(0), env: 'prod', file: 'a.json' }), 1);
  t.equal(valueOf(store, 'app_value', { job: 'apps', instance: hostOf(1), env: 'prod', file: 'a.json' }), 2);
  t.equal(valueOf(store, 'app_value', { job: 'other', instance: hostOf(2), env: 'dev', file: 'b.yml' }), 3, 'a group label sets job');
  const api = targetsResponse(s.targets()) as { data: { activeTargets: Array<{ discoveredLabels: Record<string, string> }> } };
  t.equal(api.data.activeTargets[0]!.discoveredLabels.__meta_filepath, join(d, 'a.json'));

  // The second target leaves a.json: it stops, and its series (up included) leave the store.
  writeFileSync(join(d, 'a.json'), JSON.stringify([{ targets: [hostOf(0)], labels: { env: 'prod' } }]));
  await until('the change to be picked up', () => s.targets().length === 2);
  t.equal(valueOf(store, 'app_value', { job: 'apps', instance: hostOf(1), env: 'prod', file: 'a.json' }), undefined);
  t.equal(valueOf(store, 'up', { job: 'apps', instance: hostOf(1), env: 'prod', file: 'a.json' }), undefined);
  t.equal(valueOf(store, 'app_value', { job: 'apps', instance: hostOf(0), env: 'prod', file: 'a.json' }), 1, 'the others stay');

  // A broken file keeps the targets it gave last time; the error is counted.
  writeFileSync(join(d, 'a.json'), '[{"targets": [');
  for (let i = 0; i < 400 && (await counter(tel, 'outrider_scrape_file_sd_read_errors_total')) === 0; i++) await new Promise((r) => setTimeout(r, 25));
  t.ok((await counter(tel, 'outrider_scrape_file_sd_read_errors_total')) >= 1, 'the read error is counted');
  t.equal(s.targets().length, 2);

  // A deleted file takes its targets with it.
  unlinkSync(join(d, 'b.yml'));
  await until('b.yml to be forgotten', () => s.targets().length === 1);
  t.equal(valueOf(store, 'app_value', { job: 'other', instance: hostOf(2), env: 'dev', file: 'b.yml' }), undefined);
});

t.test('relabeling moves the address, the scheme, the path and the params', async (t) => {
  const d = dir(t);
  writeFileSync(join(d, 't.json'), JSON.stringify([{ targets: ['10.0.0.1:9100'], labels: { __metrics_path__: '/probe', module: 'http_2xx' } }]));
  const sd = fileSdFromConfig(
    {
      files: [join(d, 't.json')],
      params: { module: ['icmp'], extra: ['1', '2'] },
      relabel_configs: [
        { source_labels: ['__address__'], target_label: '__param_target' },
        { source_labels: ['module'], target_label: '__param_module' },
        { target_label: '__address__', replacement: '127.0.0.1:9115' },
        { source_labels: ['__param_target'], target_label: 'instance' },
      ],
    },
    0,
    defaults,
  );
  const found = new FileSd([sd], { log: silentLogger(), telemetry: new Telemetry(), onChange: () => undefined });
  found.refresh();
  const [target] = found.targets();
  t.equal(target!.url.href, 'http://127.0.0.1:9115/probe?module=http_2xx&extra=1&extra=2&target=10.0.0.1%3A9100');
  t.same(target!.labels, { job: 'scrape', module: 'http_2xx', instance: '10.0.0.1:9100' });
});

t.test('bad targets are dropped and counted; bounds on size and count', async (t) => {
  const d = dir(t);
  const tel = new Telemetry();
  writeFileSync(join(d, 'bad.json'), JSON.stringify([{ targets: ['ok:1', 'no/slash:2', ''] }]));
  const sd = fileSdFromConfig({ files: [join(d, 'bad.json')] }, 0, defaults);
  const f = new FileSd([sd], { log: silentLogger(), telemetry: tel, onChange: () => undefined });
  f.refresh();
  t.same(
    f.targets().map((x) => x.url.host),
    ['ok:1'],
  );
  t.equal(await counter(tel, 'outrider_scrape_file_sd_dropped_targets_total'), 2);

  // Past kMaxTargets the rest is dropped and counted.
  const many = Array.from({ length: kMaxTargets + 5 }, (_, i) => `10.1.${i >> 8}.${i & 255}:80`);
  writeFileSync(join(d, 'bad.json'), JSON.stringify([{ targets: many }]));
  f.refresh();
  t.equal(f.targets().length, kMaxTargets);
  t.equal(await counter(tel, 'outrider_scrape_file_sd_dropped_targets_total'), 2 + 5);

  // A file past kMaxFileBytes is refused; the targets it gave last time stay.
  writeFileSync(join(d, 'bad.json'), JSON.stringify([{ targets: ['x:1'], labels: { pad: 'p'.repeat(kMaxFileBytes) } }]));
  f.refresh();
  t.equal(f.targets().length, kMaxTargets);
  t.equal(await counter(tel, 'outrider_scrape_file_sd_read_errors_total'), 1);
});

t.test('file contents and config are checked', async (t) => {
  t.throws(() => parseGroups('x.json', '{"targets": []}'), /list of target groups/);
  t.throws(() => parseGroups('x.json', '[{"targets": "a:1"}]'), /targets must be a list/);
  t.throws(() => parseGroups('x.json', '[{"targets": ["a:1"], "labels": {"1x": "a"}}]'), /invalid label name/);
  t.throws(() => parseGroups('x.yaml', '- targets: [a:1]\n  labels: { a: 1 }\n'), /label a must be a string/);
  t.throws(() => parseGroups('x.json', '[{"targets": ["a:1"], "lables": {}}]'), /unknown field lables/);
  t.same(parseGroups('x.yml', ''), []);
  const err = (raw: unknown) => {
    try {
      fileSdFromConfig(raw, 2, defaults);
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  t.match(err({ files: ['/x/targets.txt'] }), /scrape\.file_sd_configs\[2\]\.files: .*\.json, \.yml or \.yaml/);
  t.match(err({ files: ['/x/*/t.json'] }), /last path element only/);
  t.match(err({ files: ['/x/t.json'], url: 'http://a' }), /file_sd_configs\[2\]\.url: unknown field/);
  t.match(err({ files: [] }), /expected a list of file paths/);
  t.match(err({ files: ['/x/t.json'], refresh_interval: 'soon' }), /refresh_interval: expected a duration/);
  t.equal(err({ files: ['/x/t.json'], scheme: 'https', tls_config: { insecure_skip_verify: true } }), '');
  t.ok(globRegExp('tg_*.json').test('tg_1.json'));
  t.notOk(globRegExp('tg_*.json').test('tg_1xjson'));
  t.ok(globRegExp('[ab]?.yml').test('a1.yml'));
  t.notOk(globRegExp('[!ab]?.yml').test('a1.yml'));
});
