/** spool.max_size bounds the whole spool directory: the reporter and each remote write URL share it. */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Config } from '../../agent/config/config';
import { Health } from '../../agent/core/component';
import { silentLogger } from '../../agent/core/log';
import { Telemetry } from '../../agent/core/telemetry';
import { reportExtension } from '../../agent/report/index';
import type { RemoteWriteOutput } from '../../agent/report/remote-write/output';
import { Store } from '../../agent/store/store';
import { agentKeys } from '../../agent/keys';

async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// The outputs' timers are unref'd (an agent's servers keep it alive): keep the test process alive while it waits.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

function dirBytes(d: string): number {
  let n = 0;
  for (const e of fs.readdirSync(d, { withFileTypes: true, recursive: true }))
    if (e.isFile() && e.name.endsWith('.orsp')) n += fs.statSync(path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).size;
  return n;
}

t.test('with an aggregator and two remote write URLs, each spool gets a third of spool.max_size', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-share-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const port = await deadPort();
  const max = 96 * 1024;
  const config = Config.defaults(agentKeys).with({
    'report.endpoints': [`http://127.0.0.1:${port}`],
    'report.remote_write': [`http://127.0.0.1:${port}/a`, `http://127.0.0.1:${port}/b`],
    'report.interval': 3_600_000,
    'report.remote_write_interval': 3_600_000,
    'spool.dir': dir,
    'spool.max_size': max,
    'spool.segment_size': 16 * 1024,
  });
  const store = new Store();
  for (let i = 0; i < 400; i++) store.set({ name: 'filler', help: '', type: 'gauge' }, { i: String(i) }, Math.random());
  const telemetry = new Telemetry({ runtimeMetrics: false });
  const ctx = { config, store, log: silentLogger(), health: new Health(), telemetry, paths: { procfs: '/proc', sysfs: '/sys', rootfs: '/' } };
  const [reporter, rw] = await reportExtension(ctx);
  await rw!.start();
  for (let i = 0; i < 60; i++) await (rw as RemoteWriteOutput).tick();
  const a = dirBytes(path.join(dir, 'remote-write'));
  t.ok(a <= (2 * max) / 3, `the two remote write spools hold ${a} bytes, within their two thirds`);
  t.ok(a > max / 3, 'and they did fill up');
  t.match(await telemetry.registry.metrics(), /outrider_remote_write_dropped_requests_total\{output="remote_write",reason="spool_dropped_oldest"\} [1-9]/);
  await rw!.stop();
  t.ok(reporter);
});
