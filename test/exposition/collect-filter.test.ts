// node_exporter's collect[] / exclude[] on /metrics: the same selections, statuses and error texts.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { get, startAgent } from '../helpers/agent';
import { parseExposition } from '../helpers/prom-parse';
import { fixtureHost } from '../collectors/host/fixture';

const roots = { 'path.procfs': join(fixtureHost, 'proc'), 'path.sysfs': join(fixtureHost, 'sys'), 'path.rootfs': join(fixtureHost, 'rootfs') };
const enabled = ['loadavg', 'meminfo', 'uname'];

async function agentWithData() {
  const a = await startAgent({ ...roots, 'collectors.enabled': enabled });
  for (let i = 0; i < 200; i++) {
    const names = parseExposition((await get(a.url + '/metrics')).text);
    if (enabled.every((c) => names.get('node_scrape_collector_success')?.samples.some((s) => s.labels.collector === c))) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return a;
}

const names = (text: string) => [...parseExposition(text).keys()].sort();
const collectorsIn = (text: string) =>
  parseExposition(text)
    .get('node_scrape_collector_success')
    ?.samples.map((s) => s.labels.collector!)
    .sort() ?? [];

t.test('collect[] keeps the named collectors and their scrape rows, nothing else', async (t) => {
  const a = await agentWithData();
  t.teardown(() => a.stop());
  const all = (await get(a.url + '/metrics')).text;
  t.ok(
    names(all).some((n) => n.startsWith('outrider_')),
    'the unfiltered scrape has the agent telemetry',
  );

  const one = await get(a.url + '/metrics?collect[]=loadavg');
  t.equal(one.status, 200);
  t.same(names(one.text), ['node_load1', 'node_load15', 'node_load5', 'node_scrape_collector_duration_seconds', 'node_scrape_collector_success']);
  t.same(collectorsIn(one.text), ['loadavg']);

  const two = await get(a.url + '/metrics?collect[]=loadavg&collect[]=uname');
  t.same(collectorsIn(two.text), ['loadavg', 'uname']);
  t.ok(names(two.text).includes('node_uname_info'));
  t.notOk(names(two.text).some((n) => n.startsWith('node_memory_')));

  const ex = await get(a.url + '/metrics?exclude[]=loadavg&exclude[]=nosuch');
  t.equal(ex.status, 200, 'exclude[] ignores names that match no collector');
  t.same(collectorsIn(ex.text), ['meminfo', 'uname']);
  t.notOk(names(ex.text).includes('node_load1'));

  const none = await get(a.url + '/metrics?exclude[]=loadavg&exclude[]=meminfo&exclude[]=uname');
  t.equal(none.status, 200);
  t.equal(none.text, '', 'excluding every enabled collector leaves an empty scrape');

  const om = await get(a.url + '/metrics?collect[]=loadavg', { Accept: 'application/openmetrics-text; version=1.0.0' });
  t.match(om.headers.get('content-type'), /openmetrics/);
  t.ok(om.text.endsWith('# EOF\n'), 'OpenMetrics still ends with # EOF');

  const res = await fetch(a.url + '/metrics?collect[]=loadavg', { headers: { 'Accept-Encoding': 'gzip' } });
  t.equal(res.headers.get('content-encoding'), 'gzip');
  t.same(names(await res.text()), names(one.text), 'gzip of the same filtered body (fetch inflates it)');
});

t.test("a bad selection is a 400 with node_exporter's text", async (t) => {
  const a = await agentWithData();
  t.teardown(() => a.stop());
  const cases: Array<[string, string]> = [
    ['collect[]=nosuch', "Couldn't create filtered metrics handler: couldn't create collector: missing collector: nosuch"],
    ['collect[]=loadavg&collect[]=cpu', "Couldn't create filtered metrics handler: couldn't create collector: disabled collector: cpu"],
    ['collect[]=loadavg&exclude[]=uname', 'Combined collect and exclude queries are not allowed.'],
  ];
  for (const [q, text] of cases) {
    const r = await get(`${a.url}/metrics?${q}`);
    t.equal(r.status, 400, q);
    t.equal(r.text, text, q);
  }
});

const binary = ['prometheus-node-exporter', 'node_exporter'].find((b) => spawnSync(b, ['--version'], { stdio: 'ignore' }).status === 0);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

t.test('the same answers as node_exporter for the same queries', { skip: binary ? false : 'prometheus-node-exporter is not installed' }, async (t) => {
  const port = await freePort();
  const ne = spawn(
    binary!,
    [
      `--web.listen-address=127.0.0.1:${port}`,
      '--collector.disable-defaults',
      ...enabled.map((c) => `--collector.${c}`),
      `--path.procfs=${roots['path.procfs']}`,
      `--path.sysfs=${roots['path.sysfs']}`,
      `--path.rootfs=${roots['path.rootfs']}`,
    ],
    { stdio: 'ignore' },
  );
  const a = await agentWithData();
  t.teardown(async () => {
    ne.kill('SIGTERM');
    await a.stop();
  });
  const ours = (q: string) => get(`${a.url}/metrics?${q}`);
  const theirs = async (q: string) => {
    for (let i = 0; i < 200; i++) {
      try {
        return await get(`http://127.0.0.1:${port}/metrics?${q}`);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('node_exporter never answered');
  };
  // The Debian build (1.5) predates exclude[]; these are the queries it understands.
  for (const q of ['collect[]=nosuch', 'collect[]=loadavg&collect[]=cpu', 'collect[]=loadavg', 'collect[]=loadavg&collect[]=uname']) {
    const [x, y] = [await theirs(q), await ours(q)];
    t.equal(y.status, x.status, `${q}: status`);
    if (x.status !== 200) t.equal(y.text.trim(), x.text.trim(), `${q}: body`);
    else
      t.same(
        names(y.text),
        names(x.text).filter((n) => n.startsWith('node_') && n !== 'node_exporter_build_info'),
        `${q}: families (node_exporter adds its own go_/process_/promhttp_ metrics)`,
      );
  }
});
