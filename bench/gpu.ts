/**
 * Cost of one gpu collection with the fake NVML library (test/fixtures/gpu/fake-nvml.c, 2 devices, 3 processes):
 * the NVML session round trip alone (the call to the addon's thread and back), a full collect of the collector,
 * and the collect + text render; the AMD/Intel sysfs fixture tree likewise. Side by side, in the same run, the
 * floor of the peer approach (Telegraf's nvidia_smi input runs `nvidia-smi -q -x` each interval): spawning a
 * process that does nothing (/bin/true), which any nvidia-smi run costs before it queries a GPU.
 *
 *   npm run build && node dist/bench/gpu.js [iterations]
 *
 * NVML_LIBRARY=libnvidia-ml.so.1 measures the real driver instead of the fake library (on a GPU machine).
 */
import { agentKeys } from '../agent/keys';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Config } from '../agent/config/config';
import { gpuCollector } from '../agent/collectors/gpu/index';
import { silentLogger } from '../agent/core/log';
import { openNvml } from '../agent/native/gpu';
import { renderRun, fakeNvml } from '../test/collectors/gpu/fake-nvml';

const iterations = Number(process.argv[2] ?? 2000);
const fixtures = resolve(__dirname, '../../test/fixtures/gpu');

function stats(us: number[]): { median: number; p90: number } {
  const s = [...us].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p90: at(0.9) };
}

async function time(n: number, fn: () => Promise<unknown> | unknown): Promise<{ median: number; p90: number }> {
  for (let i = 0; i < Math.min(50, n); i++) await fn();
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return stats(us);
}

async function main(): Promise<void> {
  const lib = process.env.NVML_LIBRARY || fakeNvml({ proc0: '100:1073741824,200:2147483648', proc1: '100:524288' }).path;
  const nvml = openNvml(lib);
  if (!nvml) throw new Error('the native addon with its gpu binding is required (npm run build:native)');
  const paths = { procfs: join(fixtures, 'proc'), sysfs: join(fixtures, 'no-such-sys'), rootfs: '/' };
  const config = Config.defaults(agentKeys).with({ 'collectors.gpu.nvml_library': lib });
  const ctx = { paths, config, log: silentLogger(), signal: new AbortController().signal, nowMs: 0, issues: [] };
  const nvidia = gpuCollector({ hostname: 'bench', env: {} });
  const drmCtx = { ...ctx, paths: { ...paths, sysfs: join(fixtures, 'sys') }, config: Config.defaults(agentKeys).with({ 'collectors.gpu.nvml_library': '' }) };
  const drm = gpuCollector({ env: {} });

  const rows: [string, { median: number; p90: number }][] = [];
  rows.push(['NVML session round trip (fake library)', await time(iterations, () => nvml.collect(1000))]);
  rows.push(['gpu collect, NVIDIA (fake library)', await time(iterations, () => nvidia.collect(ctx))]);
  rows.push(['gpu collect + render, NVIDIA (runner, store, text)', await time(Math.min(iterations, 500), () => renderRun([nvidia], config, paths))]);
  rows.push(['gpu collect, AMD + Intel sysfs fixture', await time(iterations, () => drm.collect(drmCtx))]);
  rows.push(['peer floor: spawn /bin/true (nvidia-smi per interval)', await time(Math.min(iterations, 300), () => spawnSync('/bin/true'))]);
  nvml.close();
  await nvidia.close?.();
  const peer = rows[rows.length - 1]![1].median;
  console.log(`node ${process.version}, ${iterations} iterations, NVML from ${process.env.NVML_LIBRARY ? lib : 'the fake library'}`);
  for (const [name, s] of rows) {
    console.log(`${name.padEnd(56)} median ${s.median.toFixed(1).padStart(8)} µs  p90 ${s.p90.toFixed(1).padStart(8)} µs  (${(s.median / peer).toFixed(3)}× the spawn floor)`);
  }
}

void main();
