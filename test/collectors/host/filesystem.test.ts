import t from 'tap';
import { join } from 'node:path';
import { Config } from '../../../agent/config/config';
import { CollectorRunner } from '../../../agent/collectors/runner';
import { filesystemCollector, parseMountinfo, stripRootfs } from '../../../agent/collectors/host/filesystem';
import { cpuCollector } from '../../../agent/collectors/host/cpu';
import { mountEndpoint } from '../../../agent/exposition/endpoint';
import { HttpServer } from '../../../agent/core/http-server';
import { Health } from '../../../agent/core/component';
import { silentLogger } from '../../../agent/core/log';
import { Store } from '../../../agent/store/store';
import { unescapeOctal } from '../../../agent/collectors/host/text';
import { get } from '../../helpers/agent';
import { parseExposition } from '../../helpers/prom-parse';
import { collectContext, edgeFixtures, fakeStatfs, fixtureHost } from './fixture';
import { hangImpl, release } from './hang';
import { agentKeys } from '../../../agent/keys';

t.test('mountinfo: optional fields, octal escapes in paths and sources', async (t) => {
  const m = parseMountinfo(
    '31 27 259:1 /media /srv/My\\040Media ro,noatime shared:31 master:2 - xfs /dev/disk\\040one rw\n' + '32 27 0:40 / /mnt/tab\\011and\\134slash rw - nfs4 nas:/x rw\n' + 'garbage\n',
  );
  t.equal(m.length, 2);
  t.same(m[0], { mountPoint: '/srv/My Media', options: ['ro', 'noatime'], fsType: 'xfs', device: '/dev/disk one', superOptions: ['rw'] });
  t.equal(m[1]!.mountPoint, '/mnt/tab\tand\\slash');
  t.equal(unescapeOctal('no escapes'), 'no escapes');
});

t.test('rootfs prefix stripping', async (t) => {
  t.equal(stripRootfs('/', '/var'), '/var');
  t.equal(stripRootfs('/host', '/host/var'), '/var');
  t.equal(stripRootfs('/host/', '/host'), '/');
  t.equal(stripRootfs('/host', '/hostile'), '/hostile');
});

t.test('a very long mount table (thousands of lines) parses and filters', async (t) => {
  const rows: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const fs = i % 3 === 0 ? 'overlay' : 'tmpfs';
    rows.push(`${100 + i} 27 0:${100 + i} / /var/lib/kubelet/pods/pod-${i}/volumes/x\\040y rw,relatime shared:${i} - ${fs} tmpfs rw`);
  }
  const mounts = parseMountinfo(rows.join('\n') + '\n');
  t.equal(mounts.length, 5000);
  t.equal(mounts[1]!.mountPoint, '/var/lib/kubelet/pods/pod-1/volumes/x y');
});

t.test('collector over the fixture host: exclusions, duplicates, readonly, errors', async (t) => {
  const c = filesystemCollector({ statfs: fakeStatfs(join(fixtureHost, 'rootfs')) });
  const fams = await c.collect(collectContext());
  const err = fams.find((f) => f.name === 'node_filesystem_device_error')!;
  const mps = err.samples.map((s) => s.labels.mountpoint).sort();
  t.same(mps, ['/', '/boot/efi', '/data', '/home', '/mnt/gone', '/mnt/nfs', '/run', '/run/user/1000', '/srv/My Media']);
  t.equal(err.samples.find((s) => s.labels.mountpoint === '/mnt/nfs')?.value, 1, 'statfs failure → device_error 1');
  t.notOk(
    fams.find((f) => f.name === 'node_filesystem_size_bytes')!.samples.some((s) => s.labels.mountpoint === '/mnt/nfs'),
    'and nothing else',
  );
  t.same(c.stuckMounts(), [join(fixtureHost, 'rootfs', '/mnt/gone')], 'a timeout marks the mount stuck');
  t.equal(fams.find((f) => f.name === 'node_filesystem_readonly')!.samples.find((s) => s.labels.mountpoint === '/srv/My Media')?.value, 1);
  t.equal(fams.find((f) => f.name === 'node_filesystem_size_bytes')!.samples.find((s) => s.labels.mountpoint === '/')?.value, 61_000_000 * 4096);
});

t.test('a hung mount never stalls the endpoint; threads stay bounded; the mount recovers', async (t) => {
  const shared = new SharedArrayBuffer(4);
  const fsc = filesystemCollector({ statfsImpl: { impl: hangImpl, workerData: shared } });
  const config = Config.defaults(agentKeys).with({
    listen: '127.0.0.1:0',
    'collectors.timeout': 5000,
    'collectors.interval': 60_000,
    'collectors.filesystem.interval': 0,
    'collectors.filesystem.statfs_timeout': 400,
    'collectors.filesystem.statfs_threads': 1,
    'collectors.filesystem.statfs_max_blocked': 2,
  });
  const paths = { procfs: join(edgeFixtures, 'hung-mounts/proc'), sysfs: join(fixtureHost, 'sys'), rootfs: '/' };
  const store = new Store();
  const log = silentLogger();
  const runner = new CollectorRunner({ store, config, paths, log, collectors: [fsc, cpuCollector()] });
  const server = new HttpServer({ name: 'http', listen: '127.0.0.1:0', log });
  mountEndpoint(server, { store, health: new Health() });
  await server.start();
  t.teardown(async () => {
    release(shared);
    await runner.stop();
    await server.stop();
  });

  // Scrape while the first collection is stuck behind hung mounts: every scrape answers.
  const first = runner.collectOnce();
  for (let i = 0; i < 5; i++) t.equal((await get(server.url() + '/metrics')).status, 200, `scrape ${i} answered during the hang`);
  await first;

  const metrics = parseExposition((await get(server.url() + '/metrics')).text);
  const devErr = (mp: string) => metrics.get('node_filesystem_device_error')?.samples.find((s) => s.labels.mountpoint === mp)?.value;
  for (const mp of ['/hang/a', '/hang/b', '/hang/c', '/hang/d', '/hang/e']) t.equal(devErr(mp), 1, `${mp} reported as device_error 1`);
  t.equal(devErr('/'), 0);
  t.ok(
    metrics.get('node_filesystem_size_bytes')?.samples.some((s) => s.labels.mountpoint === '/srv/My Media'),
    'healthy mounts keep their values',
  );
  t.ok(metrics.get('node_cpu_seconds_total'), 'other collectors are unaffected');
  t.equal(metrics.get('node_scrape_collector_success')?.samples.find((s) => s.labels.collector === 'filesystem')?.value, 1);
  t.equal(metrics.get('outrider_filesystem_stuck_mounts')?.samples[0]?.value, 3, 'the bound says what it did on /metrics');
  t.equal(metrics.get('outrider_filesystem_statfs_timeouts_total')?.samples[0]?.value, 3);
  t.equal(metrics.get('outrider_filesystem_statfs_refused_total')?.samples[0]?.value, 2);

  const bound = 1 + 2;
  const s1 = fsc.statfsStats()!;
  t.ok(s1.blocked <= bound, `blocked threads ${s1.blocked} ≤ ${bound}`);
  t.ok(s1.created <= bound, `threads created ${s1.created} ≤ ${bound}`);
  t.equal(fsc.stuckMounts().length, 3, 'the mounts that timed out are stuck; the rest were refused without a thread');

  // A second pass does not ask stuck mounts again and creates no thread.
  await runner.collectOnce();
  t.equal(fsc.statfsStats()!.created, s1.created, 'no new thread on the next pass');
  t.equal((await get(server.url() + '/metrics')).status, 200);

  // The server answers again: stuck mounts return, and the next pass reports them.
  release(shared);
  for (let i = 0; i < 500 && fsc.stuckMounts().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.same(fsc.stuckMounts(), [], 'stuck mounts are cleared when their statfs returns');
  await runner.collectOnce();
  const after = parseExposition((await get(server.url() + '/metrics')).text);
  for (const mp of ['/hang/a', '/hang/e']) {
    t.equal(after.get('node_filesystem_device_error')?.samples.find((s) => s.labels.mountpoint === mp)?.value, 0, `${mp} monitored again`);
  }
  t.ok(fsc.statfsStats()!.blocked === 0);
});
